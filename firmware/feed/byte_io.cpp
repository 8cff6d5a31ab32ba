#include "firmware/feed/byte_io.h"

namespace gate::feed {

void ByteWriter::varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<std::uint8_t>(v));
}

void ByteWriter::svarint(std::int64_t v) {
  varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void ByteWriter::big_endian(std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::str(std::string_view s) {
  varint(s.size());
  out_.insert(out_.end(), s.begin(), s.end());
}

std::optional<std::uint8_t> ByteReader::byte() {
  if (pos_ >= in_.size()) return std::nullopt;
  return in_[pos_++];
}

std::optional<std::uint64_t> ByteReader::varint() {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    auto b = byte();
    if (!b) return std::nullopt;
    if (i == 9 && *b > 1) return std::nullopt;  // beyond 64 bits
    v |= static_cast<std::uint64_t>(*b & 0x7f) << (7 * i);
    if (!(*b & 0x80)) {
      if (i > 0 && *b == 0) return std::nullopt;  // overlong
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> ByteReader::svarint() {
  auto u = varint();
  if (!u) return std::nullopt;
  return static_cast<std::int64_t>((*u >> 1) ^ (~(*u & 1) + 1));
}

std::optional<std::uint64_t> ByteReader::big_endian(int bytes) {
  if (remaining() < static_cast<std::size_t>(bytes)) return std::nullopt;
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | in_[pos_++];
  return v;
}

std::optional<std::span<const std::uint8_t>> ByteReader::bytes(std::size_t n) {
  if (remaining() < n) return std::nullopt;
  auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::optional<std::string> ByteReader::str(std::size_t max) {
  auto n = varint();
  if (!n || *n > max) return std::nullopt;
  auto b = bytes(static_cast<std::size_t>(*n));
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

}  // namespace gate::feed

// Byte writer and bounds-checked reader for the feed's binary formats (feed_format.h describes the
// primitives: varint, svarint, str, big-endian integers).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gate::feed {

class ByteWriter {
 public:
  void byte(std::uint8_t b) { out_.push_back(b); }
  void varint(std::uint64_t v);
  void svarint(std::int64_t v);
  void big_endian(std::uint64_t v, int bytes);
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void str(std::string_view s);
  std::vector<std::uint8_t>& out() { return out_; }

 private:
  std::vector<std::uint8_t> out_;
};

// Every read returns std::nullopt (and leaves the reader failed) when the input runs out or is
// malformed; no read ever goes past the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) : in_(in) {}
  std::optional<std::uint8_t> byte();
  std::optional<std::uint64_t> varint();
  std::optional<std::int64_t> svarint();
  std::optional<std::uint64_t> big_endian(int bytes);
  std::optional<std::span<const std::uint8_t>> bytes(std::size_t n);
  // A str of at most `max` bytes.
  std::optional<std::string> str(std::size_t max);
  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace gate::feed

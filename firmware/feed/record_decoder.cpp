#include "firmware/feed/record_decoder.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace gate::feed {
namespace {

// Below this many buffered bytes the window is topped up before decoding, so most records decode
// on the first try (the common ones are under 100 bytes; a deny note is at most about 4 KiB).
constexpr std::size_t kLowWater = 8192;

Error malformed_record(std::uint64_t index, std::uint64_t at) {
  return make_error(Errc::malformed, "record " + std::to_string(index) + " (byte " +
                                         std::to_string(at) + "): malformed");
}

}  // namespace

RecordDecoder::RecordDecoder(ByteSource& source, std::uint64_t payload_size,
                             std::size_t buffer_size)
    : source_(source), payload_size_(payload_size), buf_(std::max<std::size_t>(buffer_size, 16)) {}

Status RecordDecoder::fill(std::size_t want) {
  want = std::min(want, kMaxRecordBytes);
  if (end_ - begin_ >= want || all_read()) return ok_status();
  if (begin_ > 0) {  // keep the window at the front
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < want) buf_.resize(std::max(want, std::min(buf_.size() * 2, kMaxRecordBytes)));
  while (end_ < buf_.size() && !all_read()) {
    std::size_t room = static_cast<std::size_t>(
        std::min<std::uint64_t>(buf_.size() - end_, payload_size_ - read_));
    GATE_TRY_ASSIGN(std::size_t n, source_.read(std::span(buf_.data() + end_, room)));
    if (n == 0) {
      return make_error(Errc::malformed, "records: payload ends early (" + std::to_string(read_) +
                                             " of " + std::to_string(payload_size_) + " bytes)");
    }
    end_ += n;
    read_ += n;
  }
  return ok_status();
}

Result<bool> RecordDecoder::next(store::CacheChange& out) {
  if (!started_) {
    started_ = true;
    GATE_TRY(fill(kLowWater));
    ByteReader r(std::span(buf_.data() + begin_, end_ - begin_));
    auto count = r.varint();
    // As decode_records: every record takes at least 3 bytes.
    if (!count || *count > (payload_size_ - r.position()) / 3) {
      return make_error(Errc::malformed, "records: bad record count");
    }
    count_ = *count;
    begin_ += r.position();
    consumed_ += r.position();
  }
  if (index_ == count_) {
    if (end_ != begin_ || !all_read()) {
      return make_error(Errc::malformed, "records: trailing bytes");
    }
    return false;
  }
  GATE_TRY(fill(kLowWater));
  for (;;) {
    ByteReader r(std::span(buf_.data() + begin_, end_ - begin_));
    if (auto change = decode_record(r)) {
      out = std::move(*change);
      begin_ += r.position();
      consumed_ += r.position();
      ++index_;
      return true;
    }
    // Malformed, or cut off by the window's end: with the whole rest of the payload (or the
    // largest record) in the window, it is malformed.
    std::size_t have = end_ - begin_;
    if (all_read() || have >= kMaxRecordBytes) return malformed_record(index_, window_offset());
    GATE_TRY(fill(have * 2));
  }
}

}  // namespace gate::feed

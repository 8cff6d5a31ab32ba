// The streaming form of decode_records (feed_format.h): records read one at a time from a
// ByteSource through a bounded buffer, so a payload of any size is decoded in constant memory.
// Same strictness and the same error messages as decode_records; both decode each record with
// decode_record, so they cannot drift apart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "firmware/feed/byte_io.h"
#include "firmware/store/cache.h"
#include "hal/result.h"

namespace gate::feed {

// Bytes read in order from somewhere (a file, a test's buffer).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to out.size() bytes into `out` and returns how many; 0 only at the end.
  virtual Result<std::size_t> read(std::span<std::uint8_t> out) = 0;
};

// One record at the reader's position, or std::nullopt (reader position unspecified) when the
// bytes there are not exactly one well-formed record. Shared by decode_records and RecordDecoder.
std::optional<store::CacheChange> decode_record(ByteReader& r);

class RecordDecoder {
 public:
  // The largest record the decoder buffers (a policy with thousands of scope names fits many
  // times over); a longer one is refused as malformed, which decode_records would accept.
  static constexpr std::size_t kMaxRecordBytes = 16u << 20;

  // Decodes the `payload_size` bytes that `source` gives next (it reads no further). `buffer_size`
  // is the initial buffer (grown only for a record that does not fit, up to kMaxRecordBytes).
  RecordDecoder(ByteSource& source, std::uint64_t payload_size, std::size_t buffer_size = 1 << 16);

  // The next record into `out`: true, or false after the last one (once the payload is exhausted
  // exactly). Errors are decode_records's (Errc::malformed "records: bad record count", "record I
  // (byte B): malformed", "records: trailing bytes") or the source's.
  Result<bool> next(store::CacheChange& out);

  // The record count the payload announced (valid after the first next()).
  std::uint64_t count() const { return count_; }

 private:
  // Reads from the source until the window holds `want` bytes or the payload is all read.
  Status fill(std::size_t want);
  std::uint64_t window_offset() const { return consumed_; }
  bool all_read() const { return read_ == payload_size_; }

  ByteSource& source_;
  std::uint64_t payload_size_;
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0;  // window = buf_[begin_, end_)
  std::size_t end_ = 0;
  std::uint64_t read_ = 0;      // payload bytes taken from the source
  std::uint64_t consumed_ = 0;  // payload offset of buf_[begin_]
  std::uint64_t count_ = 0;
  std::uint64_t index_ = 0;
  bool started_ = false;
};

}  // namespace gate::feed

// A feed file on disk read front to back, hashed as it is read: the SHA-256 of the whole file (the
// manifest's check) and of everything but the last 64 bytes (what the signature covers), so a
// 1 GB snapshot is verified and applied without being held in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "firmware/core/p256.h"
#include "firmware/feed/feed_file.h"
#include "firmware/feed/record_decoder.h"
#include "hal/result.h"

namespace gate::feed {

class FeedFileReader final : public ByteSource {
 public:
  // Opens `path` and notes its size; the reader never reads past that size. Errc::not_found or
  // Errc::io_error with the system's reason.
  static Result<FeedFileReader> open(const std::string& path);

  FeedFileReader(FeedFileReader&& other) noexcept;
  FeedFileReader& operator=(FeedFileReader&& other) noexcept;
  ~FeedFileReader() override;

  std::uint64_t size() const { return size_; }
  std::uint64_t position() const { return pos_; }

  // Reads on from the current position (hashing what it reads); 0 at the size noted by open().
  // A file that shrank meanwhile is Errc::malformed.
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  // Reads (and hashes) the rest of the file.
  Status read_to_end();
  // Back to the first byte with fresh hashes, for a second pass over the same open file (which a
  // rename over its name does not change).
  void rewind();

  struct Digests {
    core::Sha256Digest whole{};
    core::Sha256Digest signed_part{};  // all but the last 64 bytes
    Signature signature{};             // the last 64 bytes
  };
  // After the whole file was read: its digests. Errc::io_error if hashing failed.
  Result<Digests> digests();

 private:
  FeedFileReader(int fd, std::uint64_t size);
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t pos_ = 0;
  core::Sha256Stream hash_;  // one pass: the signed part's digest is taken on the way
  std::optional<core::Sha256Digest> signed_digest_;
  Signature tail_{};
};

}  // namespace gate::feed

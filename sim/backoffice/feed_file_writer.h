// A feed file written as it is made, so a snapshot of tens of millions of records never has to be
// held in memory: bytes go through a small buffer into a temporary file in the feed directory,
// hashed on the way; sign() appends the signature over everything written, commit() makes the
// file durable and gives it its name atomically (fsync, rename, fsync of the directory).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "firmware/core/p256.h"
#include "hal/result.h"
#include "sim/ride_code/p256_key_pair.h"

namespace gate::backoffice {

class FeedFileWriter {
 public:
  // Creates `dir`/.`name`.tmp (replacing a leftover one). Errc::io_error with the reason.
  static Result<FeedFileWriter> create(const std::string& dir, const std::string& name);

  FeedFileWriter(FeedFileWriter&& other) noexcept;
  FeedFileWriter& operator=(FeedFileWriter&&) = delete;
  // Removes the temporary file unless commit() succeeded.
  ~FeedFileWriter();

  Status write(std::span<const std::uint8_t> bytes);
  // Signs everything written so far with `key` (ECDSA P-256/SHA-256, raw r || s) and appends the
  // signature. Call once, last before commit().
  Status sign(const sim::P256KeyPair& key, sim::CtrDrbg& rng);

  struct Committed {
    std::uint64_t size = 0;
    core::Sha256Digest sha256{};  // of the whole file
  };
  // Flushes, fsyncs, renames the temporary file to `name` and fsyncs the directory.
  Result<Committed> commit();

 private:
  FeedFileWriter(int fd, std::string dir, std::string tmp, std::string path);
  Status flush();

  int fd_ = -1;
  std::string dir_, tmp_, path_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t size_ = 0;
  core::Sha256Stream hash_;
  bool signed_done_ = false;
  bool committed_ = false;
};

}  // namespace gate::backoffice

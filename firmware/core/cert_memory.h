// Certificate memory (spec/ride-code-v1.md): remembers that the issuer signature of one install's
// certificate verified, so the next code from that install costs one signature check, not two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "firmware/core/p256.h"
#include "hal/time.h"

namespace gate::core {

struct CertMemoryStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t size = 0;
};

// A bounded LRU map from the SHA-256 of a certificate (body bytes 0..148) to the issuer key that
// verified it and the last instant the result may be used. It does not look at key records: the
// caller re-checks the key (present, not revoked, window) before every recall. Not thread-safe.
class CertMemory {
 public:
  // Holds at most `capacity` certificates; 0 disables the memory (every recall misses).
  explicit CertMemory(std::size_t capacity);

  // True when `cert_hash` was remembered as verified by the key whose fingerprint is `issuer_key`
  // and `now` is not after the entry's usable_until. A hit makes the entry most recently used; an
  // entry found past its end, or for another key, is dropped. Counts one hit or one miss.
  bool recall(const Sha256Digest& cert_hash, const Sha256Digest& issuer_key, Instant now);

  // Remembers that `cert_hash` verified with `issuer_key`, usable up to `usable_until` (the
  // certificate's cert_not_after plus skew). Drops the least recently used entry when full.
  void remember(const Sha256Digest& cert_hash, const Sha256Digest& issuer_key,
                Instant usable_until);

  // Forgets every certificate (statistics are kept).
  void clear();

  CertMemoryStats stats() const { return {hits_, misses_, index_.size()}; }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    Sha256Digest cert_hash;
    Sha256Digest issuer_key;
    Instant usable_until;
  };
  struct DigestHash {
    std::size_t operator()(const Sha256Digest& digest) const;
  };
  using List = std::list<Entry>;

  std::size_t capacity_;
  List lru_;  // most recently used first
  std::unordered_map<Sha256Digest, List::iterator, DigestHash> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace gate::core

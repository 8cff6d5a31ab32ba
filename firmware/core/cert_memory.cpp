#include "firmware/core/cert_memory.h"

#include <cstring>

namespace gate::core {

std::size_t CertMemory::DigestHash::operator()(const Sha256Digest& digest) const {
  // Only certificates whose issuer signature verified are ever inserted, so the digest's own
  // bytes are a fine hash.
  std::size_t h = 0;
  std::memcpy(&h, digest.data(), sizeof h);
  return h;
}

CertMemory::CertMemory(std::size_t capacity) : capacity_(capacity) {}

bool CertMemory::recall(const Sha256Digest& cert_hash, const Sha256Digest& issuer_key,
                        Instant now) {
  auto found = index_.find(cert_hash);
  if (found == index_.end()) {
    ++misses_;
    return false;
  }
  const auto it = found->second;
  if (it->issuer_key != issuer_key || now > it->usable_until) {
    lru_.erase(it);
    index_.erase(found);
    ++misses_;
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++hits_;
  return true;
}

void CertMemory::remember(const Sha256Digest& cert_hash, const Sha256Digest& issuer_key,
                          Instant usable_until) {
  if (capacity_ == 0) return;
  auto found = index_.find(cert_hash);
  if (found != index_.end()) {
    found->second->issuer_key = issuer_key;
    found->second->usable_until = usable_until;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(lru_.back().cert_hash);
    lru_.pop_back();
  }
  lru_.push_front(Entry{cert_hash, issuer_key, usable_until});
  index_.emplace(cert_hash, lru_.begin());
}

void CertMemory::clear() {
  index_.clear();
  lru_.clear();
}

}  // namespace gate::core

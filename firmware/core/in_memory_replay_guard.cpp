#include "firmware/core/in_memory_replay_guard.h"

#include <functional>

namespace gate::core {

std::size_t InMemoryReplayGuard::TripleHash::operator()(const Triple& t) const {
  const std::uint64_t mixed =
      t.account_id * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{t.generated_at} << 16 | t.sequence);
  return std::hash<std::uint64_t>{}(mixed);
}

bool InMemoryReplayGuard::seen(std::uint64_t account_id, std::uint32_t generated_at,
                               std::uint16_t sequence) {
  return triples_.contains(Triple{account_id, generated_at, sequence});
}

void InMemoryReplayGuard::remember(std::uint64_t account_id, std::uint32_t generated_at,
                                   std::uint16_t sequence, Instant forget_after) {
  (void)insert(Triple{account_id, generated_at, sequence}, forget_after);
}

bool InMemoryReplayGuard::try_remember(std::uint64_t account_id, std::uint32_t generated_at,
                                       std::uint16_t sequence, Instant forget_after, Instant now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
    triples_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  return insert(Triple{account_id, generated_at, sequence}, forget_after);
}

bool InMemoryReplayGuard::insert(const Triple& triple, Instant forget_after) {
  auto found = triples_.find(triple);
  if (found != triples_.end()) {
    // Already held: keep it for the longer of the two lifetimes.
    if (found->second->first < forget_after) {
      by_expiry_.erase(found->second);
      found->second = by_expiry_.emplace(forget_after, triple);
    }
    return true;
  }
  if (triples_.size() >= capacity_) return false;
  triples_.emplace(triple, by_expiry_.emplace(forget_after, triple));
  return true;
}

}  // namespace gate::core

// A bounded, in-memory ReplayGuard (spec/ride-code-v1.md step 7). It does not survive a restart;
// a SQLite-backed guard implements the same interface for that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>

#include "firmware/core/ride_code.h"

namespace gate::core {

// Holds at most `capacity` triples. Expired triples (forget_after before now) are dropped first;
// an unexpired triple is never dropped to make room: try_remember() then returns false and
// Trc1Verifier::verify() refuses the code (see trc1_verifier.h). Not thread-safe.
class InMemoryReplayGuard final : public ReplayGuard {
 public:
  explicit InMemoryReplayGuard(std::size_t capacity = 8192) : capacity_(capacity) {}

  // Whether the triple is held (an expired one not yet dropped still counts).
  bool seen(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence) override;
  // Without a clock this cannot drop expired triples: when full it remembers nothing.
  void remember(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence,
                Instant forget_after) override;
  bool try_remember(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence,
                    Instant forget_after, Instant now) override;

  std::size_t size() const { return triples_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Triple {
    std::uint64_t account_id;
    std::uint32_t generated_at;
    std::uint16_t sequence;
    bool operator==(const Triple&) const = default;
  };
  struct TripleHash {
    std::size_t operator()(const Triple& t) const;
  };
  using ExpiryIndex = std::multimap<Instant, Triple>;

  bool insert(const Triple& triple, Instant forget_after);

  std::size_t capacity_;
  ExpiryIndex by_expiry_;
  std::unordered_map<Triple, ExpiryIndex::iterator, TripleHash> triples_;
};

}  // namespace gate::core

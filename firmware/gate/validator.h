// From a presented credential to a Decision: runs the ride-code checks, gathers the cache's facts
// and the gate's anti-passback memory, resolves the policy in force and calls the pure decision
// engine. Reads only local state (SQLite cache, memory); never the network.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <variant>

#include "firmware/core/decision.h"
#include "firmware/core/gate_context.h"
#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/ride_code.h"
#include "firmware/core/trc1_verifier.h"
#include "firmware/store/cache.h"
#include "firmware/store/passback_memory.h"

namespace gate::control {

class Validator {
 public:
  // `cache` may be null: the gate has no usable cache and every decision is out_of_service.
  // `replay` remembers accepted ride codes (a gate passes store::DurableReplayGuard, which
  // survives restarts); null uses a bounded in-memory guard of the validator's own.
  Validator(core::GateContext gate, store::CacheReader* cache, store::PassbackMemory& passback,
            core::Trc1Options code_options = {}, core::ReplayGuard* replay = nullptr);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Decides on `presented` at `now`. A cache read failure makes the gate out of service for this
  // decision (logged once per failure streak, and once when reads work again), never a crash.
  core::Decision decide(core::Presentation presented, Instant now);

  // Ride-code steps 1-7 (ride-code-v1.md): the account's credential key, or the failing reason.
  std::variant<core::RideCodeOk, core::Reason> check_code(std::string_view text, Instant now);

  // The policy in force now (default Policy when none covers this gate or the cache is unusable).
  core::Policy policy_now(Instant now);

  // Remembers that `credential` entered here at `at` (the gate opened for it).
  void record_entry(std::string_view credential, Instant at);

  bool cache_usable() const { return cache_ != nullptr; }

  // Whether the last read of the cache (a lookup or the policies) failed: the cache is attached
  // but cannot be read now (an I/O error, a corrupt page). Cleared by the next good read or by
  // attaching another cache. GateRuntime polls it to take a broken cache away and recover.
  bool cache_failing() const { return cache_failing_; }

  // Gives a validator that started without a usable cache the one that now exists (the first good
  // feed sync made it), so the gate returns to service without a restart. Only on the thread that
  // calls decide(); a cache already attached is kept (a null or second cache is ignored).
  void attach_cache(store::CacheReader* cache);

  // Takes the cache away (the runtime found it unreadable or corrupt and closes it): from now on
  // every decision is out_of_service, as with no cache, until attach_cache() gives one again.
  // Only on the thread that calls decide().
  void detach_cache();

 private:
  class CacheKeys;
  core::GateContext gate_;
  store::CacheReader* cache_;
  store::PassbackMemory& passback_;
  core::Trc1Verifier verifier_;
  core::InMemoryReplayGuard own_replay_;
  core::ReplayGuard& replay_;
  std::unique_ptr<CacheKeys> keys_;
  bool cache_failing_ = false;  // the last read failed (logged once when the streak started)
  void note_cache_read(const Status& read);
  // The policy in force, `read` set to the error when the policies cannot be read.
  core::Policy read_policy(Instant now, Status& read);
  static constexpr int kEvictEvery = 1024;
  int entries_since_evict_ = 0;
};

}  // namespace gate::control

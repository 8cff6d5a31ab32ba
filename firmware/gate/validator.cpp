#include "firmware/gate/validator.h"

#include <utility>

#include "firmware/core/policy.h"
#include "hal/log.h"

namespace gate::control {
namespace {
constexpr std::string_view kTag = "validator";
}

// Issuer keys for the ride-code verifier, straight from the cache's issuer_key records.
class Validator::CacheKeys final : public core::IssuerKeySource {
 public:
  explicit CacheKeys(store::CacheReader* cache) : cache_(cache) {}
  void attach(store::CacheReader* cache) { cache_ = cache; }
  std::optional<core::IssuerKey> find_issuer_key(std::uint16_t issuer_id,
                                                 std::uint8_t key_id) override {
    if (!cache_) return std::nullopt;
    auto key = cache_->issuer_key(issuer_id, key_id);
    if (!key.ok()) {
      log(LogLevel::error, kTag, "issuer key lookup: " + key.error().message);
      return std::nullopt;
    }
    return *key;
  }

 private:
  store::CacheReader* cache_;
};

Validator::Validator(core::GateContext gate, store::CacheReader* cache,
                     store::PassbackMemory& passback, core::Trc1Options code_options,
                     core::ReplayGuard* replay)
    : gate_(std::move(gate)),
      cache_(cache),
      passback_(passback),
      verifier_(code_options),
      replay_(replay ? *replay : own_replay_),
      keys_(std::make_unique<CacheKeys>(cache)) {}

Validator::~Validator() = default;

void Validator::attach_cache(store::CacheReader* cache) {
  if (cache_) return;
  cache_ = cache;
  keys_->attach(cache);
  cache_failing_ = false;
}

void Validator::detach_cache() {
  cache_ = nullptr;
  keys_->attach(nullptr);
  cache_failing_ = false;
}

// One line when reads start failing and one when they work again: a gate whose cache broke keeps
// being tapped, and a line per tap would bury everything else in the log.
void Validator::note_cache_read(const Status& read) {
  if (!read.ok()) {
    if (!cache_failing_) log(LogLevel::error, kTag, "cache read failing: " + read.error().message);
    cache_failing_ = true;
  } else if (cache_failing_) {
    log(LogLevel::info, kTag, "cache reads work again");
    cache_failing_ = false;
  }
}

core::Policy Validator::policy_now(Instant now) {
  Status read = ok_status();
  core::Policy policy = read_policy(now, read);
  // A failure starts a streak; only a whole decision's reads (decide) end one.
  if (!read.ok()) note_cache_read(read);
  return policy;
}

core::Policy Validator::read_policy(Instant now, Status& read) {
  if (!cache_) return core::Policy{};
  auto records = cache_->policies();
  if (!records.ok()) {
    read = records.error();
    return core::Policy{};
  }
  const core::PolicyRecord* in_force = core::resolve_policy(**records, gate_, now);
  return in_force ? in_force->policy : core::Policy{};
}

core::Decision Validator::decide(core::Presentation presented, Instant now) {
  core::CacheFacts facts;
  if (!cache_) {
    presented.out_of_service = true;
    return core::decide(presented, facts, core::Policy{}, gate_, now);
  }
  Status read = ok_status();
  core::Policy policy = read_policy(now, read);
  if (!read.ok()) {
    // Deciding on the default policy instead would open for riders the real one refuses.
    note_cache_read(read);
    presented.out_of_service = true;
    return core::decide(presented, core::CacheFacts{}, policy, gate_, now);
  }
  bool needs_facts = !presented.emergency && !presented.out_of_service && !presented.read_failure &&
                     !presented.credential.empty();
  if (needs_facts) {
    Status looked_up = cache_->lookup(presented.credential, facts);
    facts.last_good_sync = cache_->last_sync_state().last_good_sync;  // read by read_policy()
    // The policies and the lookup together: the streak ends only when both read.
    note_cache_read(looked_up);
    if (!looked_up.ok()) {
      presented.out_of_service = true;
      return core::decide(presented, core::CacheFacts{}, policy, gate_, now);
    }
    facts.last_entry_here = passback_.last_entry(presented.credential);
  }
  return core::decide(presented, facts, policy, gate_, now);
}

std::variant<core::RideCodeOk, core::Reason> Validator::check_code(std::string_view text,
                                                                   Instant now) {
  return verifier_.verify(text, now, *keys_, replay_);
}

void Validator::record_entry(std::string_view credential, Instant at) {
  passback_.record_entry(credential, at);
  // Keep the memory bounded by a day's riders: no anti-passback window is that long.
  if (++entries_since_evict_ >= kEvictEvery) {
    entries_since_evict_ = 0;
    passback_.evict_before(at - std::chrono::hours(24));
  }
}

}  // namespace gate::control

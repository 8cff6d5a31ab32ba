#include "sim/populate/populate.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iterator>

#include "sim/populate/keyed_permutation.h"
#include "sim/populate/record_lines.h"

namespace gate::sim {
namespace {

using std::chrono::floor;
using std::chrono::hours;
using std::chrono::seconds;

constexpr std::size_t kBlock = 1000;

// Which of the three common credentials an identity holds; exact counts per block of 1000.
struct Profile {
  std::uint32_t per_mille;
  bool tu_card;
  bool phone_card;
  bool ride_code;
};
constexpr Profile kProfiles[] = {
    {300, true, false, false},  // a physical card only
    {250, true, false, true},   // card and ride code
    {250, true, true, true},    // card, phone card and ride code
    {100, true, true, false},   // card and phone card
    {50, false, true, true},    // phone card and ride code
    {50, false, false, true},   // ride code only
};
constexpr std::uint32_t kBeijingPerMille = 150;
constexpr std::uint32_t kM1PerMille = 30;

constexpr std::uint32_t profile_sum(bool Profile::*field) {
  std::uint32_t sum = 0;
  for (const Profile& p : kProfiles) sum += field == nullptr || p.*field ? p.per_mille : 0;
  return sum;
}
static_assert(profile_sum(nullptr) == kBlock);
static_assert(profile_sum(&Profile::tu_card) == 900);
static_assert(profile_sum(&Profile::phone_card) == 400);
static_assert(profile_sum(&Profile::ride_code) == 600);
static_assert(std::all_of(std::begin(kProfiles), std::end(kProfiles), [](const Profile& p) {
  return p.tu_card || p.phone_card || p.ride_code;
}));
static_assert(kCredentialsPerBlock == 900 + 400 + 600 + kBeijingPerMille + kM1PerMille);

// Independent streams of randomness, each keyed by the seed.
enum Stream : std::uint64_t {
  kProfileRank = 1,
  kBeijingRank,
  kM1Rank,
  kTuKeys,
  kBjKeys,
  kM1Keys,
  kQrKeys,
  kIdentityTokens,
  kDraws,
};

// The credentials of an identity, in the order they are written.
enum Slot { kTuCard, kPhoneCard, kBjCard, kM1Card, kRideCode, kSlotCount };
constexpr core::Media kSlotMedia[kSlotCount] = {core::Media::card, core::Media::phone_card,
                                                core::Media::card, core::Media::m1,
                                                core::Media::qr};
constexpr bool kSlotPhysical[kSlotCount] = {true, false, true, true, false};

struct CredentialPlan {
  bool has[kSlotCount] = {};
  std::size_t count = 0;
};

// The identity's rank in its block for `stream`: a seeded shuffle of the block's 1000 places.
std::uint64_t block_rank(const PopulateOptions& o, std::size_t index, Stream stream) {
  KeyedPermutation shuffle(kBlock, hash3(o.seed, stream, index / kBlock));
  return shuffle.apply(index % kBlock);
}

CredentialPlan plan_of(const PopulateOptions& o, std::size_t index) {
  CredentialPlan plan;
  std::uint64_t rank = block_rank(o, index, kProfileRank);
  for (const Profile& p : kProfiles) {
    if (rank < p.per_mille) {
      plan.has[kTuCard] = p.tu_card;
      plan.has[kPhoneCard] = p.phone_card;
      plan.has[kRideCode] = p.ride_code;
      break;
    }
    rank -= p.per_mille;
  }
  plan.has[kBjCard] = block_rank(o, index, kBeijingRank) < kBeijingPerMille;
  plan.has[kM1Card] = block_rank(o, index, kM1Rank) < kM1PerMille;
  plan.count = static_cast<std::size_t>(std::count(std::begin(plan.has), std::end(plan.has), true));
  return plan;
}

void append_decimal(std::string& out, std::uint64_t value, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // 24 characters always hold a uint64
  for (auto digits = end - buf; digits < width; ++digits) out += '0';
  out.append(buf, end);
}

void append_hex(std::string& out, std::uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

// Every key is a bijection of the identity index (and slot) into its key space, so keys are
// unique by construction.
void assign_key(const PopulateOptions& o, std::size_t index, Slot slot, std::string& key) {
  key.clear();
  switch (slot) {
    case kTuCard:
    case kPhoneCard: {
      KeyedPermutation numbers(100'000'000'000ULL, hash3(o.seed, kTuKeys, 0));
      key = "tu:31041000";
      append_decimal(key, numbers.apply(2 * index + (slot == kPhoneCard ? 1 : 0)), 11);
      break;
    }
    case kBjCard:
      key = "bj:";
      append_hex(key, mix64(index + hash3(o.seed, kBjKeys, 0)), 16);
      break;
    case kM1Card: {
      KeyedPermutation uids(std::uint64_t{1} << 32, hash3(o.seed, kM1Keys, 0));
      key = "m1:";
      append_hex(key, uids.apply(index), 8);
      break;
    }
    case kRideCode: {
      KeyedPermutation accounts(10'000'000'000ULL, hash3(o.seed, kQrKeys, 0));
      key = "qr:";
      append_decimal(key, 10'000'000'000ULL + accounts.apply(index), 0);
      break;
    }
    case kSlotCount:
      break;
  }
}

core::BindingStatus draw_status(SplitMix64& rng) {
  std::uint64_t r = rng.below(1'000'000);
  if (r < 950'000) return core::BindingStatus::active;
  if (r < 965'000) return core::BindingStatus::lost;
  if (r < 975'000) return core::BindingStatus::blocked;
  return core::BindingStatus::unbound;
}

std::optional<core::HealthStatus> draw_health(SplitMix64& rng, const std::string& identity,
                                              Instant as_of) {
  if (rng.chance_ppm(30'000)) return std::nullopt;
  core::HealthStatus h;
  h.identity = identity;
  std::uint64_t colour = rng.below(1'000'000);
  h.colour = colour < 950'000   ? core::HealthColour::green
             : colour < 985'000 ? core::HealthColour::yellow
                                : core::HealthColour::red;
  h.popup = rng.chance_ppm(20'000);
  h.as_of = as_of - seconds(rng.below(3600));
  if (!rng.chance_ppm(50'000)) {
    Instant test = as_of - seconds(rng.below(96 * 3600));
    h.last_negative_test = test;
    h.as_of = std::max(h.as_of, test);
  }
  return h;
}

constexpr std::string_view kDenyNotes[] = {"refunded card", "reported counterfeit",
                                           "fare evasion case", "issuer recall"};

}  // namespace

core::Policy default_population_policy() {
  core::Policy p;
  p.health_mode = core::HealthMode::enforce;
  p.not_upgraded = core::NotUpgradedPolicy::allow_with_prompt;
  p.health_unknown = core::ThreeWayPolicy::staff_check;
  p.block_yellow = true;
  p.popup = core::PopupPolicy::staff_check;
  p.test_max_age_hours = 48;
  p.max_cache_age_minutes = 1440;
  p.stale = core::ThreeWayPolicy::staff_check;
  p.anti_passback_minutes = 20;
  p.accept_m1 = true;
  return p;
}

Status validate(const PopulateOptions& o) {
  if (o.identities > kMaxIdentities) {
    return make_error(Errc::invalid_argument,
                      "population: at most " + std::to_string(kMaxIdentities) + " identities");
  }
  if (o.utc_offset_minutes <= -24 * 60 || o.utc_offset_minutes >= 24 * 60) {
    return make_error(Errc::invalid_argument, "population: UTC offset must be within ±23:59");
  }
  return ok_status();
}

void generate_identity(const PopulateOptions& o, std::size_t index, IdentityRecords& out) {
  Instant as_of = floor<seconds>(o.as_of);
  SplitMix64 rng(hash3(o.seed, kDraws, index));
  out.identity = "id-";
  append_hex(out.identity, mix64(index + hash3(o.seed, kIdentityTokens, 0)), 16);

  CredentialPlan plan = plan_of(o, index);
  out.bindings.resize(plan.count);
  out.denies.clear();
  std::size_t n = 0;
  bool physical_kept = false;
  for (int s = 0; s < kSlotCount; ++s) {
    if (!plan.has[s]) continue;
    core::Binding& b = out.bindings[n++];
    auto slot = static_cast<Slot>(s);
    assign_key(o, index, slot, b.credential);
    b.identity = out.identity;
    b.media = kSlotMedia[s];
    b.status = draw_status(rng);
    b.since = as_of - seconds(1 + rng.below(7 * 86400));
    if (kSlotPhysical[s]) {
      // One physical card per identity (S5): later ones were replaced by the first.
      if (physical_kept) b.status = core::BindingStatus::unbound;
      physical_kept = true;
    }
    if (rng.chance_ppm(2'000)) {
      out.denies.push_back(
          {b.credential, std::string(kDenyNotes[rng.below(std::size(kDenyNotes))])});
    }
  }
  out.health = draw_health(rng, out.identity, as_of);
}

core::PolicyRecord population_policy_record(const PopulateOptions& o) {
  core::PolicyRecord r;
  r.id = "population-default";
  r.effective_from = floor<seconds>(o.as_of) - hours(24);
  r.policy = o.policy;
  return r;
}

Result<PopulateSummary> write_population(std::ostream& out, const PopulateOptions& o) {
  GATE_TRY(validate(o));
  PopulateSummary summary;
  std::string buffer;
  auto flush = [&]() -> Status {
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.clear();
    if (!out) {
      return make_error(Errc::io_error, "population: write failed after " +
                                            std::to_string(summary.identities_written) +
                                            " identities");
    }
    return ok_status();
  };
  if (o.write_policy) {
    append_policy_line(buffer, population_policy_record(o), o.utc_offset_minutes);
    GATE_TRY(flush());
    summary.policies_written = 1;
  }
  IdentityRecords records;
  for (std::size_t i = 0; i < o.identities; ++i) {
    generate_identity(o, i, records);
    for (const core::Binding& b : records.bindings) {
      append_binding_line(buffer, b, o.utc_offset_minutes);
    }
    if (records.health) append_health_line(buffer, *records.health, o.utc_offset_minutes);
    for (const core::DenyEntry& d : records.denies) append_deny_line(buffer, d);
    GATE_TRY(flush());
    summary.identities_written += 1;
    summary.credentials_written += records.bindings.size();
    summary.health_written += records.health ? 1 : 0;
    summary.deny_written += records.denies.size();
  }
  summary.lines_written = summary.policies_written + summary.credentials_written +
                          summary.health_written + summary.deny_written;
  return summary;
}

std::size_t population_credential_count(const PopulateOptions& o) {
  std::size_t full_blocks = o.identities / kBlock;
  std::size_t count = full_blocks * kCredentialsPerBlock;
  for (std::size_t i = full_blocks * kBlock; i < o.identities; ++i) count += plan_of(o, i).count;
  return count;
}

Result<std::string> credential_key_at(const PopulateOptions& o, std::size_t n) {
  // Every full block holds exactly kCredentialsPerBlock credentials, so n names its block; the
  // identity inside it is found by walking that block's plans.
  std::size_t block = n / kCredentialsPerBlock;
  std::size_t offset = n % kCredentialsPerBlock;
  if (block <= o.identities / kBlock) {
    std::size_t end = std::min(o.identities, (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) {
      CredentialPlan plan = plan_of(o, i);
      if (offset >= plan.count) {
        offset -= plan.count;
        continue;
      }
      for (int s = 0; s < kSlotCount; ++s) {
        if (plan.has[s] && offset-- == 0) {
          std::string key;
          assign_key(o, i, static_cast<Slot>(s), key);
          return key;
        }
      }
    }
  }
  return make_error(Errc::not_found, "population: no credential number " + std::to_string(n));
}

std::string absent_credential_key(std::uint64_t n) {
  // Generated `tu:` keys all start with 31041000; these start with 31040000.
  std::string key = "tu:31040000";
  append_decimal(key, n % 100'000'000'000ULL, 11);
  return key;
}

}  // namespace gate::sim

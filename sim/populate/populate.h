// A deterministic generator of a realistic back-office population: spec/records.md JSON Lines for
// N identities (bindings, health, deny entries) plus one default policy. The same options give the
// same bytes on every machine. Identities are generated one at a time from (seed, index), so 25
// million identities stream out in constant memory, and any identity or credential can be
// recomputed on its own (benchmarks look up keys that exist without keeping the file).
//
// The mix, per 1000 identities. Credential sets are exact in every full block of 1000 identities
// (1000 consecutive indices) and shuffled inside it by the seed; the rest is drawn at random with
// the stated probabilities:
//   T-Union physical card (`tu:`, media card) .............. 900  (90 %)
//   T-Union card in a phone (`tu:`, media phone_card) ...... 400  (40 %)
//   ride-code account (`qr:`, media qr) ..................... 600  (60 %)
//   Beijing municipal card (`bj:`, media card) .............. 150  (15 %)
//   legacy MIFARE Classic card (`m1:`, media m1) ............  30   (3 %)
//   → 2080 credentials per 1000 identities; every identity has at least one (a T-Union card, a
//     phone card or a ride-code account). At 25 M identities: 37 M cards, 15 M ride-code accounts.
// Binding status:
//   One physical card per identity (SEED S5): an identity with several physical cards keeps the
//   first of T-Union, Beijing, MIFARE; the others are `unbound` (replaced when it upgraded).
//   Every other binding: active 95 %, lost 1.5 %, blocked 1 %, unbound 2.5 %.
//   `since`: uniform in the 7 days before `as_of`.
// Health (per identity):
//   no health record 3 %; otherwise colour green 95 %, yellow 3.5 %, red 1.5 %; popup 2 %;
//   last_negative_test null 5 %, else uniform in the 96 hours before `as_of`; the record's own
//   as_of uniform in the hour before `as_of` (and never before its test).
// Deny list: 0.2 % of credentials, whatever their binding status.
//
// Keys are unique and well-formed (core::credential_key_kind): `tu:31041000` + 11 digits,
// `bj:` + 16 hex, `m1:` + 8 hex, `qr:` + an 11-digit account id; identities are "id-" + 16 hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "firmware/core/records.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::sim {

// The largest population supported (keys are bijections of the identity index into their ranges).
inline constexpr std::size_t kMaxIdentities = 1'000'000'000;

// Credentials in each full block of 1000 identities (see the mix above).
inline constexpr std::size_t kCredentialsPerBlock = 2080;

// The default policy written with a population: health enforced as on 23 May (records.md's
// example): prompt not-upgraded riders, staff check for unknown health and pop-ups, yellow
// blocks, 48-hour test rule, 24-hour cache age, 20-minute anti-passback, MIFARE accepted.
core::Policy default_population_policy();

struct PopulateOptions {
  std::size_t identities = 0;
  std::uint64_t seed = 1;
  // The moment the population describes (whole seconds are used). Default: first train of 23 May
  // 2022, 05:00 in Beijing.
  Instant as_of = std::chrono::sys_days{std::chrono::year{2022} / 5 / 22} + std::chrono::hours(21);
  int utc_offset_minutes = 480;  // zone of the times written (Beijing: +08:00)
  bool write_policy = true;      // one policy record for everywhere, effective 24 h before as_of
  core::Policy policy = default_population_policy();
};

// Everything the back office holds for one identity, in the order it is written.
struct IdentityRecords {
  std::string identity;
  std::vector<core::Binding> bindings;  // T-Union card, phone card, Beijing, MIFARE, ride code
  std::optional<core::HealthStatus> health;
  std::vector<core::DenyEntry> denies;
};

struct PopulateSummary {
  std::size_t identities_written = 0;
  std::size_t credentials_written = 0;  // binding records, one per credential
  std::size_t health_written = 0;
  std::size_t deny_written = 0;
  std::size_t policies_written = 0;
  std::size_t lines_written = 0;
};

// invalid_argument if identities > kMaxIdentities or the offset is not within ±23:59.
Status validate(const PopulateOptions& options);

// The records of identity `index` (< options.identities, options valid), into `out` (cleared
// first; its capacity is reused).
void generate_identity(const PopulateOptions& options, std::size_t index, IdentityRecords& out);

// The default policy record written with the population.
core::PolicyRecord population_policy_record(const PopulateOptions& options);

// Streams the whole population to `out`: the policy line first (if asked), then each identity's
// bindings, health and deny lines, one identity at a time, so memory stays constant whatever the
// size. invalid_argument for bad options; io_error as soon as the stream fails.
Result<PopulateSummary> write_population(std::ostream& out, const PopulateOptions& options);

// How many credentials (binding lines) write_population writes for these options, computed
// without generating them (time proportional to one block).
std::size_t population_credential_count(const PopulateOptions& options);

// The key of the n-th credential in the order write_population writes them (n from 0), computed
// on its own in time proportional to one block. not_found if n >= population_credential_count.
Result<std::string> credential_key_at(const PopulateOptions& options, std::size_t n);

// A well-formed `tu:` key that no population ever contains (for lookups that must miss). Distinct
// for distinct n below 10^11.
std::string absent_credential_key(std::uint64_t n);

}  // namespace gate::sim

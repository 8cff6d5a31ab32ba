// The soak's riders (sim/soak/service_day.h): what the next arrival means to do (the mix of
// outcomes, per 10,000 transactions) and the population's credentials sorted into pools by what
// the gate should find for them (clean, unbound, lost, blocked, by health colour).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firmware/core/records.h"
#include "hal/time.h"
#include "sim/populate/populate.h"

namespace gate::sim::soak {

// What the next arrival does, per 10,000 transactions.
enum class Intent {
  ok_card,
  ok_code,
  test_overdue,
  not_upgraded,
  lost,
  blocked,
  expired,
  yellow,
  red,
  unknown,
  popup,
  already_inside,
  tap_bad,
  tap_many,
  code_forged,
  code_expired,
  code_replayed,
  code_malformed,
  staff_open,
};
struct Weighted {
  Intent intent;
  std::uint32_t per_10k;
  const char* name;
};
inline constexpr Weighted kMix[] = {
    {Intent::ok_card, 7760, "ok_card"},
    {Intent::ok_code, 1400, "ok_code"},
    {Intent::test_overdue, 60, "health_test_overdue"},
    {Intent::not_upgraded, 150, "not_upgraded"},
    {Intent::lost, 60, "card_lost"},
    {Intent::blocked, 50, "card_blocked"},
    {Intent::expired, 40, "card_expired"},
    {Intent::yellow, 60, "health_yellow"},
    {Intent::red, 30, "health_red"},
    {Intent::unknown, 50, "health_unknown"},
    {Intent::popup, 40, "health_popup"},
    {Intent::already_inside, 80, "already_inside"},
    {Intent::tap_bad, 60, "read_error"},
    {Intent::tap_many, 40, "multiple_cards"},
    {Intent::code_forged, 30, "code_bad_signature"},
    {Intent::code_expired, 40, "code_expired"},
    {Intent::code_replayed, 30, "code_replayed"},
    {Intent::code_malformed, 10, "code_malformed"},
    {Intent::staff_open, 10, "staff_open"},
};
constexpr std::uint32_t mix_total() {
  std::uint32_t sum = 0;
  for (const Weighted& w : kMix) sum += w.per_10k;
  return sum;
}
static_assert(mix_total() == 10'000);

// A rider's credential as the generator needs it.
struct Rider {
  std::string key;
  core::Media media = core::Media::card;
  std::optional<Instant> test;  // the identity's last negative test
};

struct Pools {
  std::vector<Rider> clean_cards;  // active, not denied, green, no pop-up (any test age)
  std::vector<Rider> clean_codes;  // the same, ride-code accounts
  std::vector<Rider> unbound, lost, blocked, yellow, red, unknown, popup;  // cards only
};

// The population's credentials as of `population.as_of`, sorted into pools.
Pools build_pools(const PopulateOptions& population);

}  // namespace gate::sim::soak

// A service day at one entry gate as a scenario (sim/scenario/scenario.h), for the soak
// (issue #8): riders drawn from a population (sim/populate) arrive from 05:00 to 23:00 local time,
// 45 a minute in the two rush hours (07:00-09:00, 17:00-19:00) and fewer off-peak, and tap cards
// (T-Union, Beijing, MIFARE, phone cards) or scan TRC1 ride codes signed with the soak's issuer
// key, with a realistic mix of outcomes: mostly ok; some not upgraded, lost, blocked, expired
// cards, health yellow/red/unknown/pop-up, tests too old, already inside, bad reads, several cards
// at once, forged/expired/replayed/garbage codes, staff checks confirmed or left to time out,
// tailgating, staff opens and one emergency a day.
//
// Deterministic: the same options give the same scenario bytes. Days chain: day d is the local date
// first_day + d, with the population as the back office describes it that morning (as_of 04:00, so
// tests and health move on with the days; keys and colours stay).
//
// The generator knows which rider it meant for which outcome (to know when the rider walks through
// and when staff step in) but it is not the judge: the soak's checker recomputes every decision
// from the records. A rider meant to open walks through (`pass`); a rider meant to be refused does
// not; a staff check is confirmed (then the rider walks) or left to time out. The next rider taps
// only once the gate is ready again, so every tap and scan is decided at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "firmware/core/records.h"
#include "hal/result.h"
#include "hal/time.h"
#include "sim/populate/populate.h"
#include "sim/soak/soak_code_issuer.h"

namespace gate::sim {

struct ServiceDayOptions {
  PopulateOptions population;  // identities and seed; as_of is set per day (population_for_day)
  std::uint64_t seed = 1;      // the riders' own randomness (arrivals, choices, mix)
  std::chrono::sys_days first_day = std::chrono::sys_days{std::chrono::year{2022} / 5 / 23};
  int day = 0;                       // 0 = first_day
  int utc_offset_minutes = 480;      // the gate's zone (Beijing)
  double peak_per_minute = 45;       // arrival rate in the rush hours; off-peak rates scale with it
  std::size_t max_transactions = 0;  // the day ends early after this many (0: at 23:00)
};

// The population of day `day`: `base` described as of 04:00 local time that day.
PopulateOptions population_for_day(const ServiceDayOptions& options);

// When the gate starts and stops serving on day `day` (05:00 and 23:00 local).
Instant service_day_start(const ServiceDayOptions& options);
Instant service_day_end(const ServiceDayOptions& options);

// What a day's scenario holds, by what the generator meant (the checker has the last word).
struct ServiceDayStats {
  std::size_t transactions = 0;  // taps, scans and staff opens: each must give one decision
  std::map<std::string, std::size_t> intents;  // "ok", "lost", "code_replayed", ...
};

// Writes day options.day's scenario to `out`: a comment, `clock` at 05:00, then the riders.
Result<ServiceDayStats> write_service_day(std::ostream& out, const ServiceDayOptions& options,
                                          SoakCodeIssuer& codes);

}  // namespace gate::sim

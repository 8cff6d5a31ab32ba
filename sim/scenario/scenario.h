// The simulator's scenario language: one event per line, `#` comments, blank lines ignored.
//   clock <ISO 8601 time with offset>     set the gate's wall clock (a jump; timers unaffected)
//   wait <duration>                       let time pass (the gate loop keeps running)
//   tap <key> [hold <duration>] [phone] [expires <YYYY-MM-DD>]
//                                         a card of that key enters the field and leaves
//   tap-many <key> <key>...               several cards at once
//   tap-bad                               a card whose replies are garbage
//   scan <text>                           the code scanner delivers one line
//   pass                                  one person walks through
//   staff confirm | staff open            the staff panel
//   emergency on | emergency off          the emergency input
// A whole file is parsed before anything runs; any bad line is an error with its line number.
#pragma once

#include <chrono>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "hal/result.h"
#include "hal/time.h"

namespace gate::sim {

struct ScenarioEvent {
  enum class Kind {
    clock,
    wait,
    tap,
    tap_many,
    tap_bad,
    scan,
    pass,
    staff_confirm,
    staff_open,
    emergency_on,
    emergency_off
  };
  Kind kind = Kind::wait;
  std::size_t line = 0;
  Instant at{};                                        // clock
  Duration duration{};                                 // wait; tap hold
  std::vector<std::string> keys;                       // tap (one), tap_many (several)
  bool phone = false;                                  // tap: a phone card (fresh random UID)
  std::optional<std::chrono::year_month_day> expires;  // tap: the card's last valid day
  std::string text;                                    // scan
};

// Parses one line (already without its newline). std::nullopt for a blank or comment line.
Result<std::optional<ScenarioEvent>> parse_scenario_line(std::string_view line,
                                                         std::size_t line_no);

// Parses a whole scenario; errors read "line N: …".
Result<std::vector<ScenarioEvent>> parse_scenario(std::istream& in);

}  // namespace gate::sim

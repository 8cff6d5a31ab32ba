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
//   fault <name> on | fault <name> off    injects a fault into a device or the gate's files, or
//                                         clears it (names: kFaultNames below)
//   stall <duration>                      the loop does not run for that long (a driver call that
//                                         hangs): the clock moves on, nothing else happens
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
    emergency_off,
    fault,
    stall
  };
  Kind kind = Kind::wait;
  std::size_t line = 0;
  Instant at{};                                        // clock
  Duration duration{};                                 // wait; tap hold
  std::vector<std::string> keys;                       // tap (one), tap_many (several)
  bool phone = false;                                  // tap: a phone card (fresh random UID)
  std::optional<std::chrono::year_month_day> expires;  // tap: the card's last valid day
  std::string text;                                    // scan; fault: its name
  bool on = false;                                     // fault: injected (true) or cleared
};

// The faults a scenario may inject (`fault <name> on|off`):
//   sensor-stuck       the passage sensor's beam reads blocked and stays so
//   relay-unconfirmed  the barrier does not follow the relay (its position feedback disagrees)
//   reader-gone        the card reader vanishes (unplugged; with reader = pn532 the pty closes)
//   scanner-gone       the code scanner vanishes (with scanner = serial the pty closes)
//   disk-full          the journal's file system has no room left
//   cache-unreadable   the cache file cannot be opened or read (permissions, I/O errors)
//   cache-corrupt      the cache file's pages are overwritten with garbage (`off`: nothing to
//                      undo; the gate must recover through the feed)
//   feed-slow          the feed server answers, but slower than the gate's timeouts
//   feed-garbage       the feed server answers with bytes that are not a feed
inline constexpr std::string_view kFaultNames[] = {
    "sensor-stuck",     "relay-unconfirmed", "reader-gone", "scanner-gone", "disk-full",
    "cache-unreadable", "cache-corrupt",     "feed-slow",   "feed-garbage"};

// Parses one line (already without its newline). std::nullopt for a blank or comment line.
Result<std::optional<ScenarioEvent>> parse_scenario_line(std::string_view line,
                                                         std::size_t line_no);

// Parses a whole scenario; errors read "line N: …".
Result<std::vector<ScenarioEvent>> parse_scenario(std::istream& in);

}  // namespace gate::sim

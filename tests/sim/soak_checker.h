// The soak's independent judge: recomputes, from the files a `gate-sim soak` run leaves in its
// directory, every decision the gate should have made, and compares them with the journal.
//
// Independent of the firmware's decision path: it calls neither firmware/core/decision.cpp, the
// Validator, the cache nor the ride-code verifier. It reads the records files itself (JSON, its own
// time parser), follows spec/decisions.md's table top to bottom with the policy in force, checks
// ride codes by spec/ride-code-v1.md's steps 1-7 with its own Base45 decoder and mbedTLS's bare
// ECDSA, and keeps its own anti-passback memory (from the opens it recomputed), replay memory and
// model of the gate's phases (open until the rider passes or 5 s, a staff check until confirmed or
// 20 s, the emergency). From the scenario it takes only what happened: the time, the credential and
// its medium. Shared with the firmware: the scenario parser (what the scenario says), the name
// tables of outcomes and reasons, and the journal's reader (what the gate wrote).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace gate::test::soak {

struct CheckReport {
  // Decisions the table gives for the scenarios' taps, scans and staff opens.
  std::size_t expected = 0;
  std::size_t journaled = 0;                   // decision records in the journal
  std::size_t compared = 0;                    // pairs compared field by field
  std::size_t mismatches = 0;                  // pairs that differ, and decisions missing or extra
  std::vector<std::string> listed;             // the first few mismatches, explained
  std::map<std::string, std::size_t> reasons;  // recomputed: "open/ok", "deny/card_lost", ...
  std::size_t staff_confirms = 0, staff_timeouts = 0, tailgating = 0;  // events, as journaled
};

// Checks the soak in `dir` (soak.json and the files it names, journal.db). Errors in the files
// themselves (unreadable, malformed) are reported as mismatches too: nothing passes unchecked.
CheckReport check_soak(const std::string& dir, std::size_t max_listed = 20);

}  // namespace gate::test::soak

// The soak checker's own reading of the records file (spec/decisions.md's facts: bindings,
// health, the deny list, policies, issuer keys): JSON read with nlohmann's parser and its own time
// parser, never through the firmware's record loader or cache, so that a loader bug cannot hide
// from the soak. Throws std::runtime_error (or nlohmann's exceptions) on a file it cannot read:
// the checker turns that into a mismatch.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gate::test::soak {

using Ms = std::chrono::milliseconds;
using Time = std::chrono::sys_time<Ms>;  // the gate's times are whole milliseconds here

// "2022-05-23T04:00:00+08:00", "…:00.250000+08:00", "…Z": the records' and the manifest's times.
std::optional<Time> parse_time(const std::string& s);
// The same, throwing std::runtime_error on a time it cannot read.
Time must_parse_time(const std::string& s);

struct BindingFacts {
  std::string identity;
  std::string media;
  std::string status;
};
struct HealthFacts {
  std::string colour;
  bool popup = false;
  std::optional<Time> last_test;
};
struct PolicyFacts {
  Time from{};
  std::vector<std::string> lines, stations;
  std::string health_mode = "off", not_upgraded = "allow", health_unknown = "staff_check",
              popup = "staff_check", stale = "staff_check";
  bool block_yellow = true, accept_m1 = true;
  int test_max_age_hours = 0, max_cache_age_minutes = 0, anti_passback_minutes = 0;
};
struct IssuerKeyFacts {
  std::vector<std::uint8_t> point;
  Time from{}, until{};
  bool revoked = false;
};

struct Records {
  std::map<std::string, BindingFacts> bindings;
  std::map<std::string, HealthFacts> health;
  std::set<std::string> denied;
  std::vector<PolicyFacts> policies;
  std::map<std::pair<int, int>, IssuerKeyFacts> issuer_keys;
};

Records read_records(const std::string& path);

}  // namespace gate::test::soak

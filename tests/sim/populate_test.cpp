#include "sim/populate/populate.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "firmware/core/credential.h"

using namespace std::chrono;
using gate::Instant;
using gate::sim::PopulateOptions;
using nlohmann::json;

namespace {

std::string population(const PopulateOptions& options,
                       gate::sim::PopulateSummary* summary = nullptr) {
  std::ostringstream out;
  auto result = gate::sim::write_population(out, options);
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result.ok());
  if (summary) *summary = *result;
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// records.md times as the generator writes them in Beijing: "2022-05-23T05:00:00+08:00".
std::optional<Instant> parse_beijing_time(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  int y, mo, d, h, mi, s;
  char tail[8] = {};
  if (text.size() != 25 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%6s", &y, &mo, &d, &h, &mi, &s, tail) !=
          7 ||
      std::string(tail) != "+08:00") {
    return std::nullopt;
  }
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return Instant(sys_days(date) + hours(h) + minutes(mi) + seconds(s) - hours(8));
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

bool is_identity_token(const json& value) {
  if (!value.is_string()) return false;
  std::string s = value.get<std::string>();
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The default as_of: first train of 23 May 2022, 05:00 Beijing time.
const Instant kAsOf = sys_days{2022y / May / 22} + 21h;

// What a population of 10,000 identities holds, checked line by line against records.md.
struct Census {
  std::size_t policies = 0;
  std::vector<std::string> credentials;  // binding keys, in order
  std::map<std::string, std::size_t> per_media;
  std::map<std::string, std::size_t> per_status;          // all bindings
  std::map<std::string, std::size_t> per_status_primary;  // bindings not replaced under S5
  std::map<std::string, std::size_t> per_colour;
  std::size_t health = 0, popups = 0, no_test = 0, denies = 0;
  std::set<std::string> identities;
  std::set<std::string> identities_with_health;
};

Census take_census(const std::string& text) {
  Census c;
  std::unordered_set<std::string> keys;
  std::vector<std::string> deny_keys;
  // Per identity: how many physical cards / phone cards are bound (not unbound).
  std::map<std::string, int> physical_bound, phone_bound;
  std::map<std::string, bool> has_physical;
  for (const std::string& line : lines_of(text)) {
    INFO(line);
    json j = json::parse(line, nullptr, false);
    REQUIRE(!j.is_discarded());
    REQUIRE(j.is_object());
    REQUIRE(j["type"].is_string());
    std::string type = j["type"];
    if (type == "binding") {
      CHECK(keys_of(j) ==
            std::set<std::string>{"type", "credential", "identity", "media", "status", "since"});
      std::string key = j["credential"];
      auto kind = gate::core::credential_key_kind(key);
      REQUIRE(kind.has_value());
      CHECK(keys.insert(key).second);
      std::string media = j["media"];
      std::string status = j["status"];
      using gate::core::KeyKind;
      bool media_fits = (*kind == KeyKind::tu && (media == "card" || media == "phone_card")) ||
                        (*kind == KeyKind::bj && media == "card") ||
                        (*kind == KeyKind::m1 && media == "m1") ||
                        (*kind == KeyKind::qr && media == "qr");
      CHECK(media_fits);
      CHECK(std::set<std::string>{"active", "lost", "blocked", "unbound"}.count(status) == 1);
      REQUIRE(is_identity_token(j["identity"]));
      std::string identity = j["identity"];
      auto since = parse_beijing_time(j["since"]);
      REQUIRE(since.has_value());
      CHECK(*since < kAsOf);
      CHECK(*since >= kAsOf - days(7));
      c.credentials.push_back(key);
      c.identities.insert(identity);
      c.per_media[*kind == KeyKind::bj ? "bj" : media] += 1;
      c.per_status[status] += 1;
      bool physical = media == "card" || media == "m1";
      // Written in the order T-Union card, phone card, Beijing card, MIFARE card, ride code: a
      // physical card after the first one of its identity was replaced (S5).
      bool replaced = physical && has_physical[identity];
      if (physical) has_physical[identity] = true;
      if (replaced) CHECK(status == "unbound");
      if (!replaced) c.per_status_primary[status] += 1;
      if (status != "unbound") {
        if (physical) CHECK(++physical_bound[identity] <= 1);
        if (media == "phone_card") CHECK(++phone_bound[identity] <= 1);
      }
    } else if (type == "health") {
      CHECK(keys_of(j) == std::set<std::string>{"type", "identity", "colour", "popup",
                                                "last_negative_test", "as_of"});
      REQUIRE(is_identity_token(j["identity"]));
      CHECK(c.identities_with_health.insert(j["identity"].get<std::string>()).second);
      std::string colour = j["colour"];
      CHECK(std::set<std::string>{"green", "yellow", "red"}.count(colour) == 1);
      REQUIRE(j["popup"].is_boolean());
      auto as_of = parse_beijing_time(j["as_of"]);
      REQUIRE(as_of.has_value());
      CHECK(*as_of <= kAsOf);
      CHECK(*as_of > kAsOf - 1h);
      if (j["last_negative_test"].is_null()) {
        c.no_test += 1;
      } else {
        auto test = parse_beijing_time(j["last_negative_test"]);
        REQUIRE(test.has_value());
        CHECK(*test <= kAsOf);
        CHECK(*test > kAsOf - 96h);
        CHECK(*test <= *as_of);
      }
      c.health += 1;
      c.per_colour[colour] += 1;
      c.popups += j["popup"].get<bool>() ? 1 : 0;
    } else if (type == "deny") {
      CHECK(keys_of(j) == std::set<std::string>{"type", "credential", "note"});
      deny_keys.push_back(j["credential"]);
      REQUIRE(j["note"].is_string());
      CHECK(!j["note"].get<std::string>().empty());
      c.denies += 1;
    } else if (type == "policy") {
      CHECK(keys_of(j) == std::set<std::string>{"type", "id", "effective_from", "scope",
                                                "health_mode", "not_upgraded", "health_unknown",
                                                "block_yellow", "popup", "test_max_age_hours",
                                                "max_cache_age_minutes", "stale",
                                                "anti_passback_minutes", "accept_m1"});
      CHECK(j["scope"] == json::parse(R"({"lines":[],"stations":[]})"));
      CHECK(j["effective_from"] == "2022-05-22T05:00:00+08:00");
      CHECK(j["health_mode"] == "enforce");
      CHECK(j["test_max_age_hours"] == 48);
      CHECK(j["anti_passback_minutes"] == 20);
      c.policies += 1;
    } else {
      FAIL("unexpected record type " << type);
    }
  }
  for (const std::string& key : deny_keys) CHECK(keys.count(key) == 1);
  return c;
}

}  // namespace

TEST_CASE("the same seed gives the same bytes, another seed other bytes", "[populate]") {
  PopulateOptions options;
  options.identities = 1500;
  options.seed = 7;
  std::string first = population(options);
  CHECK(population(options) == first);
  options.seed = 8;
  CHECK(population(options) != first);
}

TEST_CASE("a population of 10,000 follows records.md and the documented mix", "[populate]") {
  PopulateOptions options;
  options.identities = 10000;
  gate::sim::PopulateSummary summary;
  std::string text = population(options, &summary);
  Census c = take_census(text);

  CHECK(c.policies == 1);
  CHECK(c.identities.size() == 10000);
  CHECK(c.identities_with_health.size() == summary.health_written);
  for (const std::string& id : c.identities_with_health) CHECK(c.identities.count(id) == 1);
  CHECK(summary.identities_written == 10000);
  CHECK(summary.credentials_written == c.credentials.size());
  CHECK(summary.deny_written == c.denies);
  CHECK(summary.lines_written == lines_of(text).size());
  CHECK(gate::sim::population_credential_count(options) == c.credentials.size());

  // Credential mix: exact in full blocks of 1000 identities (populate.h).
  CHECK(c.per_media["card"] == 9000);
  CHECK(c.per_media["phone_card"] == 4000);
  CHECK(c.per_media["qr"] == 6000);
  CHECK(c.per_media["bj"] == 1500);
  CHECK(c.per_media["m1"] == 300);
  CHECK(c.credentials.size() == 20800);

  // Binding status of the credentials not replaced by another physical card.
  double primary = 0;
  for (const auto& [status, n] : c.per_status_primary) primary += static_cast<double>(n);
  CHECK(c.per_status_primary["active"] / primary == Approx(0.95).margin(0.01));
  CHECK(c.per_status_primary["lost"] / primary == Approx(0.015).margin(0.005));
  CHECK(c.per_status_primary["blocked"] / primary == Approx(0.01).margin(0.004));
  CHECK(c.per_status_primary["unbound"] / primary == Approx(0.025).margin(0.006));

  // Health.
  CHECK(c.health / 10000.0 == Approx(0.97).margin(0.007));
  double health = static_cast<double>(c.health);
  CHECK(c.per_colour["green"] / health == Approx(0.95).margin(0.01));
  CHECK(c.per_colour["yellow"] / health == Approx(0.035).margin(0.008));
  CHECK(c.per_colour["red"] / health == Approx(0.015).margin(0.005));
  CHECK(c.popups / health == Approx(0.02).margin(0.006));
  CHECK(c.no_test / health == Approx(0.05).margin(0.01));

  // Deny list: 0.2 % of 20,800 credentials is about 42.
  CHECK(c.denies >= 15);
  CHECK(c.denies <= 80);
}

TEST_CASE("the n-th credential key can be computed on its own", "[populate]") {
  for (std::size_t identities : {std::size_t{1234}, std::size_t{10000}, std::size_t{7}}) {
    PopulateOptions options;
    options.identities = identities;
    options.seed = 99;
    Census c = take_census(population(options));
    INFO("identities " << identities);
    REQUIRE(gate::sim::population_credential_count(options) == c.credentials.size());
    std::size_t step = identities > 5000 ? 7 : 1;
    for (std::size_t n = 0; n < c.credentials.size(); n += step) {
      auto key = gate::sim::credential_key_at(options, n);
      REQUIRE(key.ok());
      CHECK(*key == c.credentials[n]);
    }
    auto last = gate::sim::credential_key_at(options, c.credentials.size() - 1);
    REQUIRE(last.ok());
    CHECK(*last == c.credentials.back());
    auto past = gate::sim::credential_key_at(options, c.credentials.size());
    REQUIRE_FALSE(past.ok());
    CHECK(past.error().code == gate::Errc::not_found);
  }
}

TEST_CASE("keys of a population of 25 million are reachable without generating it", "[populate]") {
  PopulateOptions options;
  options.identities = 25'000'000;
  CHECK(gate::sim::population_credential_count(options) == 25'000 * 2080);
  std::set<std::string> seen;
  for (std::size_t n : {std::size_t{0}, std::size_t{31'415'926}, std::size_t{51'999'999}}) {
    auto key = gate::sim::credential_key_at(options, n);
    REQUIRE(key.ok());
    CHECK(gate::core::credential_key_kind(*key).has_value());
    CHECK(seen.insert(*key).second);
  }
  CHECK_FALSE(gate::sim::credential_key_at(options, 52'000'000).ok());
}

TEST_CASE("absent keys are well-formed, distinct and never in a population", "[populate]") {
  PopulateOptions options;
  options.identities = 3000;
  Census c = take_census(population(options));
  std::unordered_set<std::string> present(c.credentials.begin(), c.credentials.end());
  std::unordered_set<std::string> absent;
  for (std::uint64_t n = 0; n < 5000; ++n) {
    std::string key = gate::sim::absent_credential_key(n * 7919);
    CHECK(gate::core::credential_key_kind(key) == gate::core::KeyKind::tu);
    CHECK(present.count(key) == 0);
    CHECK(absent.insert(key).second);
  }
}

TEST_CASE("bad options and a failing stream are errors", "[populate]") {
  PopulateOptions options;
  options.identities = gate::sim::kMaxIdentities + 1;
  std::ostringstream out;
  auto too_many = gate::sim::write_population(out, options);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().code == gate::Errc::invalid_argument);

  options.identities = 10;
  options.utc_offset_minutes = 24 * 60;
  CHECK_FALSE(gate::sim::validate(options).ok());

  options.utc_offset_minutes = 480;
  std::ostringstream broken;
  broken.setstate(std::ios::badbit);
  auto failed = gate::sim::write_population(broken, options);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == gate::Errc::io_error);
}

TEST_CASE("without a policy only identity records are written", "[populate]") {
  PopulateOptions options;
  options.identities = 5;
  options.write_policy = false;
  gate::sim::PopulateSummary summary;
  std::string text = population(options, &summary);
  CHECK(summary.policies_written == 0);
  CHECK(text.find("\"type\":\"policy\"") == std::string::npos);
  CHECK(summary.lines_written == lines_of(text).size());
}

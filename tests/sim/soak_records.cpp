#include "tests/sim/soak_records.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gate::test::soak {
namespace {

using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

Time must_time(const json& v) {
  return must_parse_time(v.get<std::string>());
}

}  // namespace

std::optional<Time> parse_time(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (s[at] == '.') {
    int digits = 0;
    for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, ++digits) {
      if (digits < 6) micros = micros * 10 + (s[at] - '0');
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  int offset_min = 0;
  if (at < s.size() && s[at] == 'Z') {
    ++at;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-')) {
    offset_min = std::stoi(s.substr(at + 1, 2)) * 60 + std::stoi(s.substr(at + 4, 2));
    if (s[at] == '-') offset_min = -offset_min;
    at += 6;
  }
  if (at != s.size()) return std::nullopt;
  auto days = std::chrono::sys_days{std::chrono::year(y) / mo / d};
  auto t = std::chrono::time_point_cast<std::chrono::microseconds>(days) + hours(h) +
           minutes(mi - offset_min) + seconds(sec) + std::chrono::microseconds(micros);
  return std::chrono::floor<Ms>(t);
}

Time must_parse_time(const std::string& s) {
  auto t = parse_time(s);
  if (!t) throw std::runtime_error("bad time " + s);
  return *t;
}

Records read_records(const std::string& path) {
  Records r;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line);
    const std::string type = j.at("type");
    if (type == "binding") {
      r.bindings[j.at("credential")] = {j.at("identity"), j.at("media"), j.at("status")};
    } else if (type == "health") {
      HealthFacts h{j.at("colour"), j.at("popup"), std::nullopt};
      if (!j.at("last_negative_test").is_null()) h.last_test = must_time(j["last_negative_test"]);
      r.health[j.at("identity")] = h;
    } else if (type == "deny") {
      r.denied.insert(j.at("credential").get<std::string>());
    } else if (type == "policy") {
      PolicyFacts p;
      p.from = must_time(j.at("effective_from"));
      p.lines = j.at("scope").at("lines").get<std::vector<std::string>>();
      p.stations = j.at("scope").at("stations").get<std::vector<std::string>>();
      p.health_mode = j.at("health_mode");
      p.not_upgraded = j.at("not_upgraded");
      p.health_unknown = j.at("health_unknown");
      p.block_yellow = j.at("block_yellow");
      p.popup = j.at("popup");
      p.test_max_age_hours = j.at("test_max_age_hours");
      p.max_cache_age_minutes = j.at("max_cache_age_minutes");
      p.stale = j.at("stale");
      p.anti_passback_minutes = j.at("anti_passback_minutes");
      p.accept_m1 = j.at("accept_m1");
      r.policies.push_back(p);
    } else if (type == "issuer_key") {
      r.issuer_keys[{j.at("issuer_id"), j.at("key_id")}] = {
          from_hex(j.at("public_key_hex")), must_time(j.at("valid_from")),
          must_time(j.at("valid_until")), j.at("revoked")};
    }
  }
  return r;
}

}  // namespace gate::test::soak

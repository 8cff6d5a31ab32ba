// Test helpers for ride codes: the public TRC1 vectors (tests/data/trc1-public.json, a verbatim
// copy of spec/vectors/trc1-public.json) and an issuer key source tests can edit.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firmware/core/reason.h"
#include "firmware/core/records.h"
#include "firmware/core/ride_code.h"
#include "hal/time.h"

namespace gate::core::test {

struct Trc1Case {
  std::string name;
  std::string text;
  Instant now{};
  std::string expect;  // "ok" or a reason name
  std::optional<std::string> account;
};

struct Trc1Vectors {
  int skew_seconds = 0;
  std::vector<IssuerKey> issuer_keys;
  std::vector<Trc1Case> cases;
  std::vector<Trc1Case> replay_stream;
};

inline Instant at_unix(std::int64_t seconds) {
  return Instant{std::chrono::seconds{seconds}};
}

inline Trc1Case parse_case(const nlohmann::json& j) {
  Trc1Case c;
  c.name = j.value("name", "");
  c.text = j.at("text").get<std::string>();
  c.now = at_unix(j.at("now").get<std::int64_t>());
  c.expect = j.at("expect").get<std::string>();
  if (j.contains("account")) c.account = j.at("account").get<std::string>();
  return c;
}

// Reads the vectors file; throws (failing the test) if it is missing or not as expected.
inline Trc1Vectors load_trc1_vectors() {
  std::ifstream in(std::string(GATE_TEST_DATA_DIR) + "/trc1-public.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  Trc1Vectors v;
  v.skew_seconds = j.at("skew_seconds").get<int>();
  for (const auto& k : j.at("issuer_keys")) {
    IssuerKey key;
    key.issuer_id = k.at("issuer_id").get<std::uint16_t>();
    key.key_id = k.at("key_id").get<std::uint8_t>();
    key.public_key_hex = k.at("public_key_hex").get<std::string>();
    key.valid_from = at_unix(k.at("valid_from").get<std::int64_t>());
    key.valid_until = at_unix(k.at("valid_until").get<std::int64_t>());
    key.revoked = k.at("revoked").get<bool>();
    v.issuer_keys.push_back(key);
  }
  for (const auto& c : j.at("cases")) v.cases.push_back(parse_case(c));
  for (const auto& c : j.at("replay_stream")) v.replay_stream.push_back(parse_case(c));
  return v;
}

inline const Trc1Case& find_case(const Trc1Vectors& v, const std::string& name) {
  for (const auto& c : v.cases) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no TRC1 vector named " + name);
}

// Issuer keys held in a vector that the test may change between verifications.
class VectorIssuerKeySource : public IssuerKeySource {
 public:
  explicit VectorIssuerKeySource(std::vector<IssuerKey> keys) : keys(std::move(keys)) {}
  std::optional<IssuerKey> find_issuer_key(std::uint16_t issuer_id, std::uint8_t key_id) override {
    ++lookups;
    for (const auto& k : keys) {
      if (k.issuer_id == issuer_id && k.key_id == key_id) return k;
    }
    return std::nullopt;
  }
  IssuerKey* find(std::uint16_t issuer_id, std::uint8_t key_id) {
    for (auto& k : keys) {
      if (k.issuer_id == issuer_id && k.key_id == key_id) return &k;
    }
    return nullptr;
  }
  std::vector<IssuerKey> keys;
  int lookups = 0;
};

// "ok" for a RideCodeOk, else the reason's name: what the vectors' "expect" holds.
inline std::string result_name(const std::variant<RideCodeOk, Reason>& result) {
  if (std::holds_alternative<RideCodeOk>(result)) return "ok";
  return std::string(reason_name(std::get<Reason>(result)));
}

}  // namespace gate::core::test

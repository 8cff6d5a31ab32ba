// Every rejection rule of records.md, through parse_record_line: the message names the line and
// the field ("line N: field F: what"), and never echoes a credential key or an identity.
#include <catch2/catch.hpp>
#include <string>

#include "firmware/store/record_loader.h"

using gate::Errc;
using gate::store::parse_record_line;

namespace {

struct Rejection {
  std::string line;
  std::string prefix;  // "line N: field F: " (or "line N: " when no field is at fault)
  std::string what;    // a part of the rest of the message
};

const std::string kBinding =
    R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-7f3a","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00")";
const std::string kHealth =
    R"({"type":"health","identity":"id-7f3a","colour":"green","popup":false,"as_of":"2022-05-23T04:00:00+08:00")";
const std::string kPolicy =
    R"({"type":"policy","id":"p1","effective_from":"2022-05-23T05:00:00+08:00")";
const std::string kHex = "04" + std::string(128, 'a');
const std::string kIssuer =
    R"({"type":"issuer_key","issuer_id":1,"key_id":2,"valid_from":"2022-05-01T00:00:00Z","valid_until":"2022-06-01T00:00:00Z")";

// A record from its opening (without the closing brace) and extra fields.
std::string with(const std::string& open, const std::string& extra) {
  return open + (extra.empty() ? "" : "," + extra) + "}";
}

// `open` with field `name` removed, still open (the fixtures never put `,"` inside a value).
std::string without(const std::string& open, const std::string& name) {
  std::string out = open;
  std::size_t at = out.find("\"" + name + "\":");
  REQUIRE(at != std::string::npos);
  std::size_t end = out.find(",\"", at);
  out.erase(at - 1, end == std::string::npos ? std::string::npos : end - at + 1);
  return out;
}

void check_rejected(const std::vector<Rejection>& cases) {
  std::size_t n = 0;
  for (const Rejection& c : cases) {
    ++n;
    INFO("case " << n << ": " << c.line);
    auto r = parse_record_line(c.line, n);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    const std::string prefix = "line " + std::to_string(n) + ": " + c.prefix;
    CHECK_THAT(r.error().message, Catch::StartsWith(prefix));
    CHECK_THAT(r.error().message, Catch::Contains(c.what));
    CHECK_THAT(r.error().message, !Catch::Contains("3105170010170907984"));
    CHECK_THAT(r.error().message, !Catch::Contains("7f3a"));
  }
}

}  // namespace

TEST_CASE("the fixtures themselves are accepted", "[record_loader]") {
  for (const std::string& line :
       {with(kBinding, ""), with(kHealth, ""), with(kPolicy, ""),
        with(kIssuer, R"("public_key_hex":")" + kHex + "\""),
        std::string(R"({"type":"deny","credential":"m1:0a1b2c3d"})"),
        with(kBinding, "").replace(with(kBinding, "").find("id-7f3a"), 7, std::string(64, '~'))}) {
    INFO(line);
    auto r = parse_record_line(line, 1);
    INFO((r.ok() ? "" : r.error().message));
    CHECK(r.ok());
  }
}

TEST_CASE("not JSON, not an object, unknown type", "[record_loader]") {
  check_rejected({
      {R"({"type":"binding",)", "", "not valid JSON"},
      {"hello", "", "not valid JSON"},
      {with(kBinding, "") + " x", "", "not valid JSON"},
      {"[1,2]", "", "not a JSON object"},
      {"null", "", "not a JSON object"},
      {R"("binding")", "", "not a JSON object"},
      {R"({"type":"bindings"})", "field type: ", "unknown type \"bindings\""},
      {R"({"credential":"tu:3105170010170907984"})", "field type: ", "missing"},
      {R"({"type":5})", "field type: ", "expected a string"},
      {R"({"type":null})", "field type: ", "expected a string"},
  });
}

TEST_CASE("unknown fields", "[record_loader]") {
  check_rejected({
      {with(kBinding, R"("colour":"green")"), "field colour: ", "unknown field"},
      {with(kHealth, R"("note":"x")"), "field note: ", "unknown field"},
      {with(kPolicy, R"("zones":[])"), "field zones: ", "unknown field"},
      {with(kPolicy, R"("scope":{"zones":["Z"]})"), "field scope.zones: ", "unknown field"},
      {with(kPolicy, R"("scope":{"type":"x"})"), "field scope.type: ", "unknown field"},
      {with(kIssuer, R"("public_key_hex":")" + kHex + R"(","issuer":1)"),
       "field issuer: ", "unknown field"},
      {R"({"type":"deny","credential":"m1:0a1b2c3d","reason":"x"})",
       "field reason: ", "unknown field"},
      {R"({"type":"delete","kind":"binding","credential":"m1:0a1b2c3d","identity":"id"})",
       "field identity: ", "unknown field"},
      {R"({"type":"delete","kind":"health","identity":"id","credential":"m1:0a1b2c3d"})",
       "field credential: ", "unknown field"},
  });
}

TEST_CASE("missing key and required fields", "[record_loader]") {
  const std::string issuer = with(kIssuer, R"("public_key_hex":")" + kHex + "\"");
  const std::string issuer_open = issuer.substr(0, issuer.size() - 1);  // without the brace
  check_rejected({
      {with(without(kBinding, "credential"), ""), "field credential: ", "missing"},
      {with(without(kBinding, "identity"), ""), "field identity: ", "missing"},
      {with(without(kBinding, "media"), ""), "field media: ", "missing"},
      {with(without(kBinding, "status"), ""), "field status: ", "missing"},
      {with(without(kBinding, "since"), ""), "field since: ", "missing"},
      {with(without(kHealth, "identity"), ""), "field identity: ", "missing"},
      {with(without(kHealth, "colour"), ""), "field colour: ", "missing"},
      {with(without(kHealth, "popup"), ""), "field popup: ", "missing"},
      {with(without(kHealth, "as_of"), ""), "field as_of: ", "missing"},
      {with(without(kPolicy, "id"), ""), "field id: ", "missing"},
      {with(without(kPolicy, "effective_from"), ""), "field effective_from: ", "missing"},
      {with(without(issuer_open, "issuer_id"), ""), "field issuer_id: ", "missing"},
      {with(without(issuer_open, "key_id"), ""), "field key_id: ", "missing"},
      {with(without(issuer_open, "valid_from"), ""), "field valid_from: ", "missing"},
      {with(without(issuer_open, "valid_until"), ""), "field valid_until: ", "missing"},
      {with(kIssuer, ""), "field public_key_hex: ", "missing"},
      {R"({"type":"deny","note":"x"})", "field credential: ", "missing"},
      {R"({"type":"delete","credential":"m1:0a1b2c3d"})", "field kind: ", "missing"},
      {R"({"type":"delete","kind":"binding"})", "field credential: ", "missing"},
      {R"({"type":"delete","kind":"deny"})", "field credential: ", "missing"},
      {R"({"type":"delete","kind":"health"})", "field identity: ", "missing"},
      {R"({"type":"delete","kind":"policy"})", "field id: ", "missing"},
      {R"({"type":"delete","kind":"issuer_key","issuer_id":1})", "field key_id: ", "missing"},
      {R"({"type":"delete","kind":"issuer_key","key_id":1})", "field issuer_id: ", "missing"},
  });
}

TEST_CASE("values outside their set", "[record_loader]") {
  check_rejected({
      {with(without(kBinding, "media"), R"("media":"none")"),
       "field media: ", "\"none\" is not one of card, phone_card, m1, qr"},
      {with(without(kBinding, "media"), R"("media":"nfc")"),
       "field media: ", "\"nfc\" is not one of"},
      {with(without(kBinding, "status"), R"("status":"stolen")"),
       "field status: ", "\"stolen\" is not one of active, lost, blocked, unbound"},
      {with(without(kHealth, "colour"), R"("colour":"purple")"),
       "field colour: ", "\"purple\" is not one of green, yellow, red"},
      {with(kPolicy, R"("health_mode":"strict")"), "field health_mode: ", "is not one of"},
      {with(kPolicy, R"("not_upgraded":"maybe")"), "field not_upgraded: ", "is not one of"},
      {with(kPolicy, R"("health_unknown":"allow_with_prompt")"),
       "field health_unknown: ", "is not one of allow, staff_check, deny"},
      {with(kPolicy, R"("popup":"allow")"), "field popup: ", "is not one of staff_check, deny"},
      {with(kPolicy, R"("stale":"ignore")"), "field stale: ", "is not one of"},
      {with(kPolicy, R"("health_mode":"Enforce")"), "field health_mode: ", "is not one of"},
      {R"({"type":"delete","kind":"journal","id":"x"})",
       "field kind: ", "\"journal\" is not one of binding, health, policy, issuer_key, deny"},
      {R"({"type":"delete","kind":"delete"})", "field kind: ", "is not one of"},
  });
}

TEST_CASE("malformed times", "[record_loader]") {
  const std::string open = without(kBinding, "since");
  check_rejected({
      {with(open, R"("since":"2022-05-17T09:12:00")"), "field since: ", "malformed time"},
      {with(open, R"("since":"2022-05-17")"), "field since: ", "malformed time"},
      {with(open, R"("since":"yesterday")"), "field since: ", "malformed time"},
      {with(open, R"("since":"2022-05-17T09:12:00+08")"), "field since: ", "malformed time"},
      {with(open, R"("since":1652749920)"), "field since: ", "expected a string"},
      {with(kHealth, R"("last_negative_test":"2022-05-22")"),
       "field last_negative_test: ", "malformed time"},
      {with(kHealth, R"("last_negative_test":5)"),
       "field last_negative_test: ", "expected a string"},
      {R"({"type":"policy","id":"p","effective_from":"2022-02-30T00:00:00Z"})",
       "field effective_from: ", "malformed time"},
      {R"({"type":"issuer_key","issuer_id":1,"key_id":2,"public_key_hex":")" + kHex +
           R"(","valid_from":"2022-05-01T00:00:00Z","valid_until":"2022-06-01 00:00:00Z"})",
       "field valid_until: ", "malformed time"},
  });
}

TEST_CASE("malformed credential keys", "[record_loader]") {
  const auto deny = [](const std::string& key) {
    return R"({"type":"deny","credential":")" + key + "\"}";
  };
  check_rejected({
      {deny("tu:310517001017090798"), "field credential: ", "malformed credential key"},
      {deny("bj:0123456789ABCDEF"), "field credential: ", "malformed credential key"},
      {deny("m1:0a1b2c3d4"), "field credential: ", "malformed credential key"},
      {deny("qr:012"), "field credential: ", "malformed credential key"},
      {deny("xx:123"), "field credential: ", "malformed credential key"},
      {deny(""), "field credential: ", "malformed credential key"},
      {R"({"type":"deny","credential":12345})", "field credential: ", "expected a string"},
      {R"({"type":"delete","kind":"binding","credential":"tu:1"})",
       "field credential: ", "malformed credential key"},
      {with(kBinding, "").replace(with(kBinding, "").find("3105"), 4, "3105x"),
       "field credential: ", "malformed credential key"},
  });
}

TEST_CASE("identities: 1-64 characters of 0x21-0x7E", "[record_loader]") {
  const std::string open = without(kHealth, "identity");
  const auto health = [&](const std::string& id) { return with(open, id); };
  const std::string what = "1-64 printable ASCII";
  check_rejected({
      {health(R"("identity":"")"), "field identity: ", what},
      {health(R"("identity":")" + std::string(65, 'a') + "\""), "field identity: ", what},
      {health(R"("identity":"id 7")"), "field identity: ", what},
      {health(R"("identity":"id\t7")"), "field identity: ", what},
      {health(R"("identity":"id-\u00e9")"), "field identity: ", what},
      {health("\"identity\":\"id-\xc3\xa9\""), "field identity: ", what},
      {health(R"("identity":"id\u007f")"), "field identity: ", what},
      {health(R"("identity":42)"), "field identity: ", "expected a string"},
      {R"({"type":"delete","kind":"health","identity":""})", "field identity: ", what},
  });
}

TEST_CASE("public keys: 130 hex digits starting 04", "[record_loader]") {
  const auto key = [](const std::string& hex) {
    return with(kIssuer, R"("public_key_hex":")" + hex + "\"");
  };
  const std::string what = "130 hex digits starting 04";
  check_rejected({
      {key("04" + std::string(126, 'a')), "field public_key_hex: ", what},
      {key("04" + std::string(129, 'a')), "field public_key_hex: ", what},
      {key("02" + std::string(128, 'a')), "field public_key_hex: ", what},
      {key("04" + std::string(127, 'a') + "g"), "field public_key_hex: ", what},
      {key(""), "field public_key_hex: ", what},
      {with(kIssuer, R"("public_key_hex":4)"), "field public_key_hex: ", "expected a string"},
  });
}

TEST_CASE("wrong JSON types and numbers out of range", "[record_loader]") {
  const std::string health_open = without(kHealth, "popup");
  const std::string key = R"("public_key_hex":")" + kHex + "\"";
  const auto issuer = [&](const std::string& ids) {
    return R"({"type":"issuer_key",)" + ids + "," + key +
           R"(,"valid_from":"2022-05-01T00:00:00Z","valid_until":"2022-06-01T00:00:00Z"})";
  };
  check_rejected({
      {with(health_open, R"("popup":"false")"), "field popup: ", "expected true or false"},
      {with(health_open, R"("popup":0)"), "field popup: ", "expected true or false"},
      {with(kPolicy, R"("block_yellow":1)"), "field block_yellow: ", "expected true or false"},
      {with(kPolicy, R"("accept_m1":null)"), "field accept_m1: ", "expected true or false"},
      {with(kPolicy, R"("test_max_age_hours":"48")"),
       "field test_max_age_hours: ", "expected an integer"},
      {with(kPolicy, R"("test_max_age_hours":48.5)"),
       "field test_max_age_hours: ", "expected an integer"},
      {with(kPolicy, R"("max_cache_age_minutes":-1)"),
       "field max_cache_age_minutes: ", "out of range"},
      {with(kPolicy, R"("anti_passback_minutes":2147483648)"),
       "field anti_passback_minutes: ", "out of range"},
      {with(kPolicy, R"("id":7)"), "field id: ", "expected a string"},
      {with(kPolicy, R"("id":"")"), "field id: ", "must not be empty"},
      {with(kPolicy, R"("scope":[])"), "field scope: ", "expected an object"},
      {with(kPolicy, R"("scope":null)"), "field scope: ", "expected an object"},
      {with(kPolicy, R"("scope":{"lines":"L1"})"), "field scope.lines: ", "expected an array"},
      {with(kPolicy, R"("scope":{"stations":["S1",2]})"),
       "field scope.stations: ", "expected an array of strings"},
      {with(kPolicy, R"("scope":{"lines":[""]})"), "field scope.lines: ", "empty name"},
      {issuer(R"("issuer_id":65536,"key_id":1)"), "field issuer_id: ", "out of range 0..65535"},
      {issuer(R"("issuer_id":-1,"key_id":1)"), "field issuer_id: ", "out of range"},
      {issuer(R"("issuer_id":1,"key_id":256)"), "field key_id: ", "out of range 0..255"},
      {issuer(R"("issuer_id":1,"key_id":18446744073709551615)"), "field key_id: ", "out of range"},
      {issuer(R"("issuer_id":"1","key_id":1)"), "field issuer_id: ", "expected an integer"},
      {issuer(R"("issuer_id":1,"key_id":1,"revoked":"no")"),
       "field revoked: ", "expected true or false"},
      {R"({"type":"deny","credential":"m1:0a1b2c3d","note":5})",
       "field note: ", "expected a string"},
      {R"({"type":"delete","kind":"issuer_key","issuer_id":1,"key_id":300})",
       "field key_id: ", "out of range"},
      {R"({"type":"delete","kind":7})", "field kind: ", "expected a string"},
  });
}

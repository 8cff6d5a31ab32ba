#include "firmware/core/reason.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace gate::core {
namespace {

// The reasons table of decisions.md (staff_open is checked on its own: the spec gives no text).
struct NamedReason {
  Reason reason;
  const char* name;
};
const NamedReason kSpecReasons[] = {
    {Reason::ok, "ok"},
    {Reason::ok_observe, "ok_observe"},
    {Reason::ok_not_upgraded, "ok_not_upgraded"},
    {Reason::not_upgraded, "not_upgraded"},
    {Reason::card_lost, "card_lost"},
    {Reason::card_blocked, "card_blocked"},
    {Reason::card_expired, "card_expired"},
    {Reason::health_red, "health_red"},
    {Reason::health_yellow, "health_yellow"},
    {Reason::health_popup, "health_popup"},
    {Reason::health_test_overdue, "health_test_overdue"},
    {Reason::health_unknown, "health_unknown"},
    {Reason::code_malformed, "code_malformed"},
    {Reason::code_unknown_key, "code_unknown_key"},
    {Reason::code_key_revoked, "code_key_revoked"},
    {Reason::code_bad_signature, "code_bad_signature"},
    {Reason::code_cert_expired, "code_cert_expired"},
    {Reason::code_expired, "code_expired"},
    {Reason::code_not_yet_valid, "code_not_yet_valid"},
    {Reason::code_replayed, "code_replayed"},
    {Reason::already_inside, "already_inside"},
    {Reason::multiple_cards, "multiple_cards"},
    {Reason::read_error, "read_error"},
    {Reason::unsupported_card, "unsupported_card"},
    {Reason::cache_stale, "cache_stale"},
    {Reason::emergency_open, "emergency_open"},
    {Reason::out_of_service, "out_of_service"},
    {Reason::staff_open, "staff_open"},
};

struct SpecText {
  Reason reason;
  const char* zh;
  const char* en;
};
const SpecText kSpecTexts[] = {
    {Reason::ok, "请通行", "Please pass"},
    {Reason::ok_not_upgraded, "请尽快升级一卡通", "Please upgrade your card"},
    {Reason::not_upgraded, "未升级，请联系工作人员", "Not upgraded, please see staff"},
    {Reason::card_lost, "此卡已挂失", "Card reported lost"},
    {Reason::card_blocked, "此卡已停用", "Card blocked"},
    {Reason::card_expired, "卡已过期", "Card expired"},
    {Reason::health_red, "健康码红码", "Health code red"},
    {Reason::health_yellow, "健康码黄码", "Health code yellow"},
    {Reason::health_popup, "健康码弹窗，请联系工作人员", "Health code needs a check"},
    {Reason::health_test_overdue, "核酸检测超时", "Test result too old"},
    {Reason::health_unknown, "无健康码信息", "No health code data"},
    {Reason::code_malformed, "无效乘车码", "Invalid code"},
    {Reason::code_unknown_key, "无效乘车码", "Invalid code"},
    {Reason::code_key_revoked, "无效乘车码", "Invalid code"},
    {Reason::code_bad_signature, "无效乘车码", "Invalid code"},
    {Reason::code_cert_expired, "请刷新乘车码", "Refresh your ride code"},
    {Reason::code_expired, "请刷新乘车码", "Refresh your ride code"},
    {Reason::code_not_yet_valid, "请校准手机时间", "Check your phone's clock"},
    {Reason::code_replayed, "乘车码已使用", "Code already used"},
    {Reason::already_inside, "已进站", "Already entered"},
    {Reason::multiple_cards, "请单张刷卡", "One card at a time"},
    {Reason::read_error, "请重新刷卡", "Please tap again"},
    {Reason::unsupported_card, "不支持此卡", "Card not supported"},
    {Reason::cache_stale, "数据未更新，请联系工作人员", "Gate data out of date"},
    {Reason::emergency_open, "紧急疏散", "Emergency exit"},
    {Reason::out_of_service, "暂停服务", "Out of service"},
};

TEST_CASE("every reason has its spec name and round-trips", "[reason]") {
  REQUIRE(std::size(kSpecReasons) == static_cast<std::size_t>(kReasonCount));
  std::set<std::string> seen;
  for (const auto& [reason, name] : kSpecReasons) {
    INFO(name);
    CHECK(reason_name(reason) == name);
    CHECK(parse_reason(name) == reason);
    seen.insert(std::string(reason_name(reason)));
  }
  CHECK(seen.size() == static_cast<std::size_t>(kReasonCount));  // no two reasons share a name
  for (int i = 0; i < kReasonCount; ++i) {
    auto reason = static_cast<Reason>(i);
    CHECK(parse_reason(reason_name(reason)) == reason);
  }
}

TEST_CASE("unknown reason and outcome names do not parse", "[reason]") {
  CHECK_FALSE(parse_reason("").has_value());
  CHECK_FALSE(parse_reason("OK").has_value());
  CHECK_FALSE(parse_reason("ok ").has_value());
  CHECK_FALSE(parse_reason("health_green").has_value());
  CHECK_FALSE(parse_reason("?").has_value());
  CHECK_FALSE(parse_outcome("").has_value());
  CHECK_FALSE(parse_outcome("Open").has_value());
  CHECK_FALSE(parse_outcome("staff-check").has_value());
}

TEST_CASE("outcome names are open, deny, staff_check", "[reason]") {
  const std::pair<Outcome, const char*> names[] = {
      {Outcome::open, "open"}, {Outcome::deny, "deny"}, {Outcome::staff_check, "staff_check"}};
  for (const auto& [outcome, name] : names) {
    CHECK(outcome_name(outcome) == name);
    CHECK(parse_outcome(name) == outcome);
  }
}

TEST_CASE("display texts are the spec's, character for character", "[reason]") {
  REQUIRE(std::size(kSpecTexts) == static_cast<std::size_t>(kReasonCount) - 2);
  for (const auto& [reason, zh, en] : kSpecTexts) {
    INFO(reason_name(reason));
    CHECK(reason_text(reason).zh == zh);
    CHECK(reason_text(reason).en == en);
  }
}

TEST_CASE("ok_observe's text has a place for the colour", "[reason]") {
  CHECK(reason_text(Reason::ok_observe).zh == "请通行（健康码：%s）");
  CHECK(reason_text(Reason::ok_observe).en == "Please pass (health code: %s)");
}

TEST_CASE("staff_open has a text although the spec gives none", "[reason]") {
  CHECK(reason_text(Reason::staff_open).zh == "工作人员开闸");
  CHECK(reason_text(Reason::staff_open).en == "Opened by staff");
}

TEST_CASE("every reason has a non-empty text in both languages", "[reason]") {
  for (int i = 0; i < kReasonCount; ++i) {
    auto reason = static_cast<Reason>(i);
    INFO(reason_name(reason));
    CHECK_FALSE(reason_text(reason).zh.empty());
    CHECK_FALSE(reason_text(reason).en.empty());
  }
}

}  // namespace
}  // namespace gate::core

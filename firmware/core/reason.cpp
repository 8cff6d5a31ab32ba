#include "firmware/core/reason.h"

#include <iterator>
#include <utility>

#include "firmware/core/name_table.h"

namespace gate::core {
namespace {

constexpr std::pair<Outcome, std::string_view> kOutcomeNames[] = {
    {Outcome::open, "open"}, {Outcome::deny, "deny"}, {Outcome::staff_check, "staff_check"}};

constexpr std::pair<Reason, std::string_view> kReasonNames[] = {
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
static_assert(std::size(kReasonNames) == kReasonCount);

// The display column of decisions.md, character for character. ok_observe carries `%s` for the
// colour. staff_open has no text in the spec ("manual open by staff"): 工作人员开闸 / "Opened by
// staff" is our own wording.
constexpr std::pair<Reason, DisplayText> kReasonTexts[] = {
    {Reason::ok, {"请通行", "Please pass"}},
    {Reason::ok_observe, {"请通行（健康码：%s）", "Please pass (health code: %s)"}},
    {Reason::ok_not_upgraded, {"请尽快升级一卡通", "Please upgrade your card"}},
    {Reason::not_upgraded, {"未升级，请联系工作人员", "Not upgraded, please see staff"}},
    {Reason::card_lost, {"此卡已挂失", "Card reported lost"}},
    {Reason::card_blocked, {"此卡已停用", "Card blocked"}},
    {Reason::card_expired, {"卡已过期", "Card expired"}},
    {Reason::health_red, {"健康码红码", "Health code red"}},
    {Reason::health_yellow, {"健康码黄码", "Health code yellow"}},
    {Reason::health_popup, {"健康码弹窗，请联系工作人员", "Health code needs a check"}},
    {Reason::health_test_overdue, {"核酸检测超时", "Test result too old"}},
    {Reason::health_unknown, {"无健康码信息", "No health code data"}},
    {Reason::code_malformed, {"无效乘车码", "Invalid code"}},
    {Reason::code_unknown_key, {"无效乘车码", "Invalid code"}},
    {Reason::code_key_revoked, {"无效乘车码", "Invalid code"}},
    {Reason::code_bad_signature, {"无效乘车码", "Invalid code"}},
    {Reason::code_cert_expired, {"请刷新乘车码", "Refresh your ride code"}},
    {Reason::code_expired, {"请刷新乘车码", "Refresh your ride code"}},
    {Reason::code_not_yet_valid, {"请校准手机时间", "Check your phone's clock"}},
    {Reason::code_replayed, {"乘车码已使用", "Code already used"}},
    {Reason::already_inside, {"已进站", "Already entered"}},
    {Reason::multiple_cards, {"请单张刷卡", "One card at a time"}},
    {Reason::read_error, {"请重新刷卡", "Please tap again"}},
    {Reason::unsupported_card, {"不支持此卡", "Card not supported"}},
    {Reason::cache_stale, {"数据未更新，请联系工作人员", "Gate data out of date"}},
    {Reason::emergency_open, {"紧急疏散", "Emergency exit"}},
    {Reason::out_of_service, {"暂停服务", "Out of service"}},
    {Reason::staff_open, {"工作人员开闸", "Opened by staff"}},
};
static_assert(std::size(kReasonTexts) == kReasonCount);

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  return name_of(kOutcomeNames, outcome);
}
std::optional<Outcome> parse_outcome(std::string_view name) {
  return value_of(kOutcomeNames, name);
}
std::string_view reason_name(Reason reason) {
  return name_of(kReasonNames, reason);
}
std::optional<Reason> parse_reason(std::string_view name) {
  return value_of(kReasonNames, name);
}

DisplayText reason_text(Reason reason) {
  for (const auto& [r, text] : kReasonTexts) {
    if (r == reason) return text;
  }
  return {"?", "?"};
}

}  // namespace gate::core

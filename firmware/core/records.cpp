#include "firmware/core/records.h"

#include "firmware/core/name_table.h"

namespace gate::core {
namespace {

constexpr std::pair<BindingStatus, std::string_view> kBindingStatusNames[] = {
    {BindingStatus::active, "active"},
    {BindingStatus::lost, "lost"},
    {BindingStatus::blocked, "blocked"},
    {BindingStatus::unbound, "unbound"},
};
constexpr std::pair<HealthColour, std::string_view> kColourNames[] = {
    {HealthColour::green, "green"}, {HealthColour::yellow, "yellow"}, {HealthColour::red, "red"}};
constexpr std::pair<HealthMode, std::string_view> kModeNames[] = {
    {HealthMode::off, "off"}, {HealthMode::observe, "observe"}, {HealthMode::enforce, "enforce"}};
constexpr std::pair<NotUpgradedPolicy, std::string_view> kNotUpgradedNames[] = {
    {NotUpgradedPolicy::allow, "allow"},
    {NotUpgradedPolicy::allow_with_prompt, "allow_with_prompt"},
    {NotUpgradedPolicy::staff_check, "staff_check"},
    {NotUpgradedPolicy::deny, "deny"},
};
constexpr std::pair<ThreeWayPolicy, std::string_view> kThreeWayNames[] = {
    {ThreeWayPolicy::allow, "allow"},
    {ThreeWayPolicy::staff_check, "staff_check"},
    {ThreeWayPolicy::deny, "deny"},
};
constexpr std::pair<PopupPolicy, std::string_view> kPopupNames[] = {
    {PopupPolicy::staff_check, "staff_check"}, {PopupPolicy::deny, "deny"}};

}  // namespace

std::string_view binding_status_name(BindingStatus s) {
  return name_of(kBindingStatusNames, s);
}
std::optional<BindingStatus> parse_binding_status(std::string_view n) {
  return value_of(kBindingStatusNames, n);
}
std::string_view health_colour_name(HealthColour c) {
  return name_of(kColourNames, c);
}
std::optional<HealthColour> parse_health_colour(std::string_view n) {
  return value_of(kColourNames, n);
}
std::string_view health_mode_name(HealthMode m) {
  return name_of(kModeNames, m);
}
std::optional<HealthMode> parse_health_mode(std::string_view n) {
  return value_of(kModeNames, n);
}
std::string_view not_upgraded_policy_name(NotUpgradedPolicy p) {
  return name_of(kNotUpgradedNames, p);
}
std::optional<NotUpgradedPolicy> parse_not_upgraded_policy(std::string_view n) {
  return value_of(kNotUpgradedNames, n);
}
std::string_view three_way_policy_name(ThreeWayPolicy p) {
  return name_of(kThreeWayNames, p);
}
std::optional<ThreeWayPolicy> parse_three_way_policy(std::string_view n) {
  return value_of(kThreeWayNames, n);
}
std::string_view popup_policy_name(PopupPolicy p) {
  return name_of(kPopupNames, p);
}
std::optional<PopupPolicy> parse_popup_policy(std::string_view n) {
  return value_of(kPopupNames, n);
}

}  // namespace gate::core

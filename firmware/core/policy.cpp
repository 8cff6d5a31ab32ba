#include "firmware/core/policy.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace gate::core {
namespace {

// How closely a record's scope names the gate; higher wins among equal effective_from instants.
enum class Specificity { everywhere = 0, line = 1, station = 2 };

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The specificity with which `record` covers `gate`, or nullopt when it does not cover it. A scope
// naming both lines and stations covers the gate if either matches, and counts as a station scope
// only when the station matched (the spec does not say; this is our reading).
std::optional<Specificity> coverage(const PolicyRecord& record, const GateContext& gate) {
  if (record.scope_lines.empty() && record.scope_stations.empty()) return Specificity::everywhere;
  if (contains(record.scope_stations, gate.station)) return Specificity::station;
  if (contains(record.scope_lines, gate.line)) return Specificity::line;
  return std::nullopt;
}

}  // namespace

const PolicyRecord* resolve_policy(std::span<const PolicyRecord> records, const GateContext& gate,
                                   Instant now) {
  const PolicyRecord* best = nullptr;
  Specificity best_spec = Specificity::everywhere;
  for (const PolicyRecord& record : records) {
    if (record.effective_from > now) continue;
    std::optional<Specificity> spec = coverage(record, gate);
    if (!spec) continue;
    bool better = best == nullptr || record.effective_from > best->effective_from ||
                  (record.effective_from == best->effective_from &&
                   (*spec > best_spec || (*spec == best_spec && record.id > best->id)));
    if (better) {
      best = &record;
      best_spec = *spec;
    }
  }
  return best;
}

}  // namespace gate::core

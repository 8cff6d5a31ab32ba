#include "sim/gate_sim/summary.h"

#include <algorithm>
#include <cmath>

namespace gate::sim {

std::int64_t percentile(std::vector<std::int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

void RunSummary::add(const store::JournalEntry& entry) {
  if (const auto* d = std::get_if<core::DecisionRecord>(&entry)) {
    ++outcomes_[std::string(core::outcome_name(d->decision.outcome))];
    ++reasons_[std::string(core::reason_name(d->decision.reason))];
    latencies_.push_back(d->latency_us);
  } else {
    ++events_[std::string(core::event_kind_name(std::get<core::GateEvent>(entry).kind))];
  }
}

void RunSummary::print(std::ostream& out) const {
  out << "decisions: " << latencies_.size() << "\n";
  auto list = [&out](const char* title, const std::map<std::string, std::size_t>& m) {
    out << title << ":";
    for (const auto& [name, n] : m) out << " " << name << "=" << n;
    out << "\n";
  };
  list("outcomes", outcomes_);
  list("reasons", reasons_);
  list("events", events_);
  out << "decision latency: median " << percentile(latencies_, 50) << " us, p99 "
      << percentile(latencies_, 99) << " us\n";
}

}  // namespace gate::sim

// The human summary gate-sim prints on stderr after a run: counts by outcome and reason, and the
// decision latency (median, p99).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "firmware/store/journal.h"

namespace gate::sim {

class RunSummary {
 public:
  void add(const store::JournalEntry& entry);
  void print(std::ostream& out) const;
  std::size_t decisions() const { return latencies_.size(); }

 private:
  std::map<std::string, std::size_t> outcomes_;
  std::map<std::string, std::size_t> reasons_;
  std::map<std::string, std::size_t> events_;
  std::vector<std::int64_t> latencies_;
};

// The p-th percentile (0..100) of `values` by nearest rank; 0 for none. Sorts a copy.
std::int64_t percentile(std::vector<std::int64_t> values, double p);

}  // namespace gate::sim

// Anti-passback memory: when each credential last entered through this gate. Kept in memory for the
// decision path and rebuilt from the journal at start-up, so a restart does not open a window.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <optional>

#include "firmware/store/journal.h"
#include "hal/time.h"

namespace gate::store {

class PassbackMemory {
 public:
  // Last recorded entry of `credential`, if any.
  std::optional<Instant> last_entry(std::string_view credential) const;
  // Records an entry that opened the gate.
  void record_entry(std::string_view credential, Instant at);
  // Drops entries older than `horizon` (so memory stays bounded by the window's traffic).
  void evict_before(Instant horizon);
  // Loads the journal's entries since `since`.
  Status load(Journal& journal, Instant since);
  std::size_t size() const { return last_.size(); }

 private:
  std::unordered_map<std::string, Instant> last_;
};

}  // namespace gate::store

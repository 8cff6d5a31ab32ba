// Anti-passback memory: when each credential last entered through this gate. Kept in memory for the
// decision path and rebuilt from the journal at start-up, so a restart does not open a window.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "firmware/store/journal.h"
#include "hal/time.h"

namespace gate::store {

class PassbackMemory {
 public:
  // Last recorded entry of `credential`, if any. Does not allocate.
  std::optional<Instant> last_entry(std::string_view credential) const;
  // Records an entry that opened the gate; an earlier `at` than the one kept is ignored.
  void record_entry(std::string_view credential, Instant at);
  // Drops entries older than `horizon` (so memory stays bounded by the window's traffic).
  void evict_before(Instant horizon);
  // Loads the journal's entries since `since` (Journal::recent_entries), keeping what is already
  // recorded when it is later.
  Status load(Journal& journal, Instant since);
  std::size_t size() const { return last_.size(); }

 private:
  // Hashes std::string and std::string_view alike, so lookups by string_view build no string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  std::unordered_map<std::string, Instant, KeyHash, std::equal_to<>> last_;
};

}  // namespace gate::store

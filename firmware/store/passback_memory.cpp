#include "firmware/store/passback_memory.h"

namespace gate::store {

std::optional<Instant> PassbackMemory::last_entry(std::string_view credential) const {
  auto it = last_.find(credential);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void PassbackMemory::record_entry(std::string_view credential, Instant at) {
  auto it = last_.find(credential);
  if (it == last_.end()) {
    last_.emplace(std::string(credential), at);
  } else if (at > it->second) {
    it->second = at;
  }
}

void PassbackMemory::evict_before(Instant horizon) {
  std::erase_if(last_, [horizon](const auto& entry) { return entry.second < horizon; });
}

Status PassbackMemory::load(Journal& journal, Instant since) {
  return journal.recent_entries(
      since, [this](std::string_view credential, Instant at) { record_entry(credential, at); });
}

}  // namespace gate::store

// The registry's tables (registry.cpp and registry_rules.cpp only): the current records by kind
// and key, the change log, and the bindings' rule state (status, media, who upgraded them).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/core/records.h"
#include "hal/result.h"

namespace gate::backoffice::registry_store {

// The tables, created when missing.
Status create_schema(sqlite3* db);

// Record kinds, in the order `records` writes them.
enum class Kind { policy = 0, issuer_key = 1, binding = 2, health = 3, deny = 4 };

// Upserts the record `line` (a records.md line ending in '\n') under (kind, key) and logs it as
// change `seq`.
Status put_record(sqlite3* db, std::uint64_t seq, Kind kind, std::string_view key,
                  std::string_view line);

// Removes the record under (kind, key) and logs `delete_line` as change `seq`.
Status remove_record(sqlite3* db, std::uint64_t seq, Kind kind, std::string_view key,
                     std::string_view delete_line);

// The current record line under (kind, key), if any.
Result<std::optional<std::string>> find_record(sqlite3* db, Kind kind, std::string_view key);

// A binding's rule state.
struct BindingRow {
  std::string credential;
  std::string identity;
  core::Media media = core::Media::card;
  core::BindingStatus status = core::BindingStatus::active;
  std::string by;
};

Result<std::optional<BindingRow>> find_binding(sqlite3* db, std::string_view credential);
Status put_binding(sqlite3* db, const BindingRow& row);

// A binding of `identity` in `media_a` or `media_b` that is active or lost (it holds the
// identity's S5 slot), if any.
Result<std::optional<BindingRow>> slot_holder(sqlite3* db, std::string_view identity,
                                              core::Media media_a, core::Media media_b);

// How many credentials `by` upgraded for other identities that are still active or lost (S6).
Result<int> count_on_behalf(sqlite3* db, std::string_view by);

// The last applied sequence, and setting it.
Result<std::uint64_t> read_sequence(sqlite3* db);
Status write_sequence(sqlite3* db, std::uint64_t seq);

}  // namespace gate::backoffice::registry_store

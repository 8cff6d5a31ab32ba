// The reference back office's binding registry: a SQLite file holding bindings (with their status
// and who upgraded them), health, issuer keys, the deny list and policies, as records.md records,
// plus a change log. It applies upgrade operations under the source document's rules (S5, S6, S8,
// S11; README "gate-backoffice") and writes what a gate's cache needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "firmware/store/sqlite.h"
#include "hal/result.h"
#include "sim/backoffice/operation.h"

namespace gate::backoffice {

// Records are written with times in this zone (Beijing, +08:00).
inline constexpr int kRecordUtcOffsetMinutes = 8 * 60;

class Registry {
 public:
  // Opens the registry at `path`, creating the file and its tables when missing.
  static Result<Registry> open(const std::string& path);

  // Applies `ops` in order in one transaction: all of them, or (at the first refused one) none.
  // A refusal is Errc::invalid_argument "line N: RULE: why". Each operation bumps the sequence.
  // Returns the sequence after the last one.
  Result<std::uint64_t> apply(const std::vector<Operation>& ops);

  // The full current state as records.md JSON lines (policies, issuer keys, bindings, health,
  // deny entries; each group ordered by key), loadable by `gate-sim cache-build`.
  Result<std::string> records();

  // The records (upserts and `delete`s) written by operations with a sequence above `since`, in
  // the order they were written: applied after a state of sequence `since`, they give today's.
  Result<std::string> changes(std::uint64_t since);

  // The sequence of the last applied operation (0 for a new registry).
  Result<std::uint64_t> sequence();

 private:
  explicit Registry(store::DbHandle db) : db_(std::move(db)) {}
  Status apply_one(const Operation& op, std::uint64_t seq);
  store::DbHandle db_;
};

}  // namespace gate::backoffice

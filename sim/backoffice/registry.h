// The reference back office's binding registry: a SQLite file holding bindings (with their status
// and who upgraded them), health, issuer keys, the deny list and policies, as records.md records,
// plus a change log. It applies upgrade operations under the source document's rules (S5, S6, S8,
// S11; README "gate-backoffice") and writes what a gate's cache needs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/store/sqlite.h"
#include "hal/result.h"
#include "sim/backoffice/operation.h"

namespace gate::backoffice {

// Records are written with times in this zone (Beijing, +08:00).
inline constexpr int kRecordUtcOffsetMinutes = 8 * 60;

using LineFn = std::function<Status(std::string_view line)>;

// What a feed publisher reads: one state of a registry, with the sequence that state is at, the
// full set of records and the change log. Lines are records.md JSON lines.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual std::uint64_t sequence() const = 0;
  virtual Result<std::uint64_t> record_count() = 0;
  // Every current record, in records() order.
  virtual Status each_record(const LineFn& each) = 0;
  // The changes with a sequence above `since`, in changes() order, and how many there are.
  virtual Result<std::uint64_t> change_count(std::uint64_t since) = 0;
  virtual Status each_change(std::uint64_t since, const LineFn& each) = 0;
};

// A consistent read of a registry: one SQLite read transaction, begun by reading the sequence, so
// everything read through it belongs to the state at that sequence (WAL readers see a snapshot);
// an `apply` committing meanwhile can neither slip records past the sequence nor hide ones it
// covers. Ends the transaction when destroyed; the Registry must outlive it.
class RegistryRead final : public RecordSource {
 public:
  RegistryRead(RegistryRead&& other) noexcept;
  RegistryRead& operator=(RegistryRead&&) = delete;
  ~RegistryRead() override;

  std::uint64_t sequence() const override { return sequence_; }
  Result<std::uint64_t> record_count() override;
  Status each_record(const LineFn& each) override;
  Result<std::uint64_t> change_count(std::uint64_t since) override;
  Status each_change(std::uint64_t since, const LineFn& each) override;

 private:
  friend class Registry;
  RegistryRead(sqlite3* db, std::uint64_t sequence) : db_(db), sequence_(sequence) {}
  sqlite3* db_;
  std::uint64_t sequence_;
};

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

  // The binding history of every credential ever bound to `identity`: each binding record written
  // for those credentials (whoever they named), in the order written (the change log), so a
  // credential's record is in force from its `since` until the credential's next one. For tracing
  // an identity's passages through the cards it held at the time.
  Result<std::vector<core::Binding>> binding_history(std::string_view identity);

  // The sequence of the last applied operation (0 for a new registry).
  Result<std::uint64_t> sequence();

  // Starts a consistent read (RegistryRead). Errc::storage_error if a transaction is open.
  Result<RegistryRead> begin_read();

 private:
  explicit Registry(store::DbHandle db) : db_(std::move(db)) {}
  Status apply_one(const Operation& op, std::uint64_t seq);
  store::DbHandle db_;
};

}  // namespace gate::backoffice

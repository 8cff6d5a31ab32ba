// DurableReplayGuard: the ride codes this gate accepted (spec/ride-code-v1.md step 7), in the
// journal's file (table code_replay), so a restart or a power cut never opens a window in which a
// code already used is accepted again. A triple is durable (committed with synchronous=FULL)
// before try_remember() returns true, and the verifier accepts the code only then: the gate opens
// after that.
//
// Bounded: at most `capacity` triples. When full, triples past their forget_after are deleted
// first; an unexpired one is never dropped, so a guard still full makes try_remember() fail and the
// verifier refuses the code (out_of_service) rather than risk a replay. Not thread-safe: the loop's
// thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "firmware/core/ride_code.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"

namespace gate::store {

class DurableReplayGuard final : public core::ReplayGuard {
 public:
  // Over the journal's connection (Journal::db(), schema 2 or later), which must outlive the guard.
  static Result<DurableReplayGuard> open(sqlite3* journal_db, std::size_t capacity = 100000);

  // Whether the triple was accepted before (an expired one not yet deleted still counts). A read
  // failure is logged and answers false: try_remember() then fails too and the code is refused.
  bool seen(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence) override;
  // Remembers without making room (no clock): when full, remembers nothing.
  void remember(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence,
                Instant forget_after) override;
  bool try_remember(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence,
                    Instant forget_after, Instant now) override;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

 private:
  DurableReplayGuard(sqlite3* db, std::size_t capacity) : db_(db), capacity_(capacity) {}
  bool insert(std::uint64_t account_id, std::uint32_t generated_at, std::uint16_t sequence,
              Instant forget_after);
  Status delete_expired(Instant now);

  sqlite3* db_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  StmtHandle seen_stmt_;
  StmtHandle insert_stmt_;
  StmtHandle expire_stmt_;
};

}  // namespace gate::store

// Helpers for the journal and passback tests: a scratch directory and entry builders.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "firmware/store/journal.h"
#include "tests/support/temp_dir.h"

namespace gate::store::testing {

using gate::test::TempDir;

// An entry decision at gate L1-S07-G03 (card, green, enforce, 412 µs) with the given outcome.
inline core::DecisionRecord decision(std::string credential, Instant ts,
                                     core::Outcome outcome = core::Outcome::open,
                                     core::Reason reason = core::Reason::ok,
                                     core::Direction direction = core::Direction::entry) {
  core::DecisionRecord r;
  r.ts = ts;
  r.gate = "L1-S07-G03";
  r.direction = direction;
  r.credential = std::move(credential);
  r.decision.outcome = outcome;
  r.decision.reason = reason;
  r.decision.media = core::Media::card;
  r.decision.health = core::HealthSeen::green;
  r.decision.mode = core::HealthMode::enforce;
  r.latency_us = 412;
  return r;
}

inline core::GateEvent event(core::EventKind kind, std::string credential, Instant ts) {
  core::GateEvent e;
  e.ts = ts;
  e.gate = "L1-S07-G03";
  e.kind = kind;
  e.credential = std::move(credential);
  return e;
}

// The chain key of the test gate L1-S07-G03: the 32 bytes 0x00 … 0x1f.
inline ChainKey test_key(std::string gate = "L1-S07-G03") {
  std::string secret(32, '\0');
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(i);
  return ChainKey{secret, std::move(gate)};
}

inline Journal open_journal(const std::string& path, ChainKey key = test_key()) {
  auto journal = Journal::open(path, std::move(key));
  INFO("open: " << (journal ? std::string() : journal.error().message));
  REQUIRE(journal.ok());
  return std::move(journal).value();
}

inline std::uint64_t append(Journal& journal, const JournalEntry& entry) {
  auto seq = journal.append(entry);
  INFO("append: " << (seq ? std::string() : seq.error().message));
  REQUIRE(seq.ok());
  return *seq;
}

inline std::vector<JournalRow> read_all(Journal& journal) {
  auto rows = journal.read();
  INFO("read: " << (rows ? std::string() : rows.error().message));
  REQUIRE(rows.ok());
  return std::move(rows).value();
}

// The credential of a row, whatever its kind.
inline std::string credential_of(const JournalRow& row) {
  return std::visit([](const auto& e) { return e.credential; }, row.entry);
}

}  // namespace gate::store::testing

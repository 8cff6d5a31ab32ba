// The journal's upload bookkeeping (issue 7): the collector's acknowledgement, persisted and
// monotonic; pruning that removes only acknowledged rows past the retention, in bounded batches,
// leaving the chain head, anti-passback and the code-replay table alone; and a second connection
// (the uploader's) pruning while the loop's connection appends.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "firmware/store/durable_replay_guard.h"
#include "firmware/store/journal.h"
#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Instant;
using gate::store::ChainProblem;
using gate::store::Journal;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h;

std::string card(int i) {
  return "tu:31051700101709" + std::to_string(10000 + i);
}

std::uint64_t acked(Journal& journal) {
  auto a = journal.acknowledged();
  REQUIRE(a.ok());
  return *a;
}

std::uint64_t pending(Journal& journal) {
  auto p = journal.pending_count();
  REQUIRE(p.ok());
  return *p;
}

std::size_t prune(Journal& journal, Instant older_than, std::size_t max_rows) {
  auto n = journal.prune(older_than, max_rows);
  INFO("prune: " << (n ? std::string() : n.error().message));
  REQUIRE(n.ok());
  return *n;
}

std::vector<std::uint64_t> seqs(Journal& journal) {
  std::vector<std::uint64_t> out;
  for (const auto& row : read_all(journal)) out.push_back(row.seq);
  return out;
}

}  // namespace

TEST_CASE("a new journal has nothing acknowledged and every row pending", "[journal][upload]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  CHECK(acked(journal) == 0);
  CHECK(pending(journal) == 0);
  for (int i = 1; i <= 5; ++i) append(journal, decision(card(i), kT0 + seconds(i)));
  CHECK(acked(journal) == 0);
  CHECK(pending(journal) == 5);
}

TEST_CASE("the acknowledgement only moves forward, never past the head, and survives reopening",
          "[journal][upload]") {
  TempDir dir;
  const std::string path = dir.file("journal.db");
  {
    Journal journal = open_journal(path);
    for (int i = 1; i <= 5; ++i) append(journal, decision(card(i), kT0 + seconds(i)));
    REQUIRE(journal.acknowledge(3).ok());
    CHECK(acked(journal) == 3);
    CHECK(pending(journal) == 2);
    REQUIRE(journal.acknowledge(2).ok());  // a late reply to an earlier batch: no step back
    CHECK(acked(journal) == 3);
    auto past = journal.acknowledge(6);
    REQUIRE_FALSE(past.ok());
    CHECK(past.error().code == gate::Errc::invalid_argument);
    CHECK(acked(journal) == 3);
  }
  Journal journal = open_journal(path);
  CHECK(acked(journal) == 3);
  CHECK(pending(journal) == 2);
  REQUIRE(journal.acknowledge(5).ok());
  CHECK(pending(journal) == 0);
}

TEST_CASE("prune deletes only acknowledged rows older than the retention, in bounded batches",
          "[journal][upload]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  // Rows 1-6 a day apart; row 7 stamped before row 6 (the clock was set back).
  for (int i = 1; i <= 6; ++i) append(journal, decision(card(i), kT0 + days(i)));
  append(journal, decision(card(7), kT0 + days(2) + 1h));
  REQUIRE(journal.acknowledge(5).ok());

  // Nothing acknowledged is older than day 1.
  CHECK(prune(journal, kT0 + days(1), 100) == 0);
  // Older than day 5 and acknowledged: 1-4, two per call.
  CHECK(prune(journal, kT0 + days(5), 2) == 2);
  CHECK(seqs(journal) == std::vector<std::uint64_t>{3, 4, 5, 6, 7});
  CHECK(prune(journal, kT0 + days(5), 2) == 2);
  CHECK(prune(journal, kT0 + days(5), 2) == 0);
  // Older than everything: row 5 goes; 6 and 7 are not acknowledged, 7's old stamp or not.
  CHECK(prune(journal, kT0 + days(30), 100) == 1);
  CHECK(seqs(journal) == std::vector<std::uint64_t>{6, 7});
  CHECK(acked(journal) == 5);
  CHECK(pending(journal) == 2);
}

TEST_CASE("prune_acknowledged ignores the retention but never an unacknowledged row",
          "[journal][upload]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  for (int i = 1; i <= 6; ++i) append(journal, decision(card(i), kT0 + seconds(i)));
  REQUIRE(journal.acknowledge(4).ok());
  auto first = journal.prune_acknowledged(3);
  REQUIRE(first.ok());
  CHECK(*first == 3);
  CHECK(seqs(journal) == std::vector<std::uint64_t>{4, 5, 6});
  auto rest = journal.prune_acknowledged(100);
  REQUIRE(rest.ok());
  CHECK(*rest == 1);
  CHECK(seqs(journal) == std::vector<std::uint64_t>{5, 6});
}

TEST_CASE("pruning leaves the chain head, anti-passback and the code-replay table alone",
          "[journal][upload]") {
  TempDir dir;
  const std::string path = dir.file("journal.db");
  {
    Journal journal = open_journal(path);
    auto guard = gate::store::DurableReplayGuard::open(journal.db());
    REQUIRE(guard.ok());
    REQUIRE(guard->try_remember(42, 1000, 7, kT0 + days(30), kT0));
    // Eight days ago and earlier: old, uploaded. The last hour: recent entries.
    for (int i = 1; i <= 4; ++i) append(journal, decision(card(i), kT0 - days(8) + seconds(i)));
    append(journal, decision(card(5), kT0 - 30min));
    append(journal, decision(card(6), kT0 - 10min));
    REQUIRE(journal.acknowledge(6).ok());
    CHECK(prune(journal, kT0 - days(7), 100) == 4);
    // Every row is acknowledged and the table holds only the two recent ones.
    CHECK(seqs(journal) == std::vector<std::uint64_t>{5, 6});
  }
  Journal journal = open_journal(path);
  // The head did not move back: the next row is 7, chained from row 6's mac.
  CHECK(append(journal, decision(card(7), kT0)) == 7);
  auto rows = journal.read_chain();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].seq == 5);
  const gate::store::ChainAnchor after5{6, (*rows)[0].mac};
  auto verdict = gate::store::verify_chain(test_key(), after5, std::span(*rows).subspan(1));
  REQUIRE(verdict.ok());
  CHECK(verdict->problem == ChainProblem::none);

  std::map<std::string, Instant> seen;
  REQUIRE(journal
              .recent_entries(kT0 - 1h,
                              [&](std::string_view c, Instant at) { seen[std::string(c)] = at; })
              .ok());
  CHECK(seen == std::map<std::string, Instant>{
                    {card(5), kT0 - 30min}, {card(6), kT0 - 10min}, {card(7), kT0}});

  auto guard = gate::store::DurableReplayGuard::open(journal.db());
  REQUIRE(guard.ok());
  CHECK(guard->seen(42, 1000, 7));
}

TEST_CASE("a second connection acknowledges and prunes while the first appends",
          "[journal][upload]") {
  TempDir dir;
  const std::string path = dir.file("journal.db");
  Journal loop = open_journal(path);
  Journal uploader = open_journal(path);
  constexpr int kRows = 400;
  std::atomic<bool> appending{true};
  std::vector<std::string> append_errors;
  std::thread appender([&] {
    for (int i = 1; i <= kRows; ++i) {
      auto seq = loop.append(decision(card(i), kT0 + seconds(i)));
      if (!seq.ok()) append_errors.push_back(seq.error().message);
    }
    appending = false;
  });
  std::vector<std::string> upload_errors;
  std::size_t pruned = 0;
  auto upload_round = [&] {
    auto rows = uploader.read_chain(acked(uploader), 50);
    if (!rows.ok()) return upload_errors.push_back(rows.error().message);
    if (!rows->empty()) {
      if (gate::Status s = uploader.acknowledge(rows->back().seq); !s.ok()) {
        upload_errors.push_back(s.error().message);
      }
    }
    auto n = uploader.prune(kT0 + days(1), 20);
    if (n.ok()) {
      pruned += *n;
    } else {
      upload_errors.push_back(n.error().message);
    }
  };
  while (appending) upload_round();
  appender.join();
  // What the appender left for the last rounds (bounded: a broken prune fails the checks below).
  for (int round = 0; round < 100 && (pending(uploader) > 0 || pruned < kRows); ++round) {
    upload_round();
  }
  CHECK(append_errors.empty());
  CHECK(upload_errors.empty());
  CHECK(acked(uploader) == kRows);
  CHECK(pruned == kRows);
  CHECK(seqs(loop).empty());
  CHECK(append(loop, decision(card(0), kT0)) == kRows + 1);
}

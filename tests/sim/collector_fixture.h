// Helpers for the journal collector's tests: a gate's real store::Journal in a test directory (its
// batches as the uploader sends them, tampering by SQL on its file) and the collector beside it.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "firmware/store/journal.h"
#include "firmware/store/journal_batch.h"
#include "firmware/store/sqlite.h"
#include "sim/backoffice/collector.h"
#include "tests/firmware/store/journal_fixture.h"
#include "tests/support/raw_tls_client.h"
#include "tests/support/temp_dir.h"

namespace gate::test::collector {

using namespace std::chrono;
using backoffice::Acceptance;
using backoffice::Collector;
using backoffice::GateSecrets;
using store::ChainKey;
using store::Journal;
using store::JournalBatch;
using store::testing::append;
using store::testing::decision;
using store::testing::event;
using store::testing::open_journal;
using store::testing::test_key;

// 13:00 Beijing time on the first day of enforcement.
inline const Instant kT0 = sys_days{2022y / May / 23} + 5h;
inline const std::string kCardA = "tu:3105170010170907984";
inline const std::string kCardC = "tu:3105170020000000012";

// One gate's journal in the test's directory, with the collector's secret for it.
struct GateJournal {
  GateJournal(const TempDir& dir, const std::string& gate)
      : key(test_key(gate)),
        path(dir.file(gate + ".journal.db")),
        journal(open_journal(path, key)) {}
  ChainKey key;
  std::string path;
  Journal journal;

  // `n` decisions of distinct cards, a second apart from `from`.
  void decisions(int n, Instant from = kT0) {
    for (int i = 0; i < n; ++i) {
      auto d = decision("tu:31051700101709" + std::to_string(10000 + i), from + seconds(i));
      d.gate = key.gate;
      append(journal, d);
    }
  }
  void add(gate::core::DecisionRecord d) {
    d.gate = key.gate;
    append(journal, d);
  }
  void add(gate::core::GateEvent e) {
    e.gate = key.gate;
    append(journal, e);
  }
  // The chained rows after `after`, at most `limit`, as the uploader sends them.
  JournalBatch batch(std::uint64_t after = 0, std::size_t limit = SIZE_MAX) {
    auto rows = journal.read_chain(after, limit);
    REQUIRE(rows.ok());
    return JournalBatch{key.gate, journal.chain_start(), std::move(rows).value()};
  }
  // Tampering as someone with the file would do it: SQL on the journal's table.
  void tamper(const std::string& sql) {
    auto db = gate::store::open_db(path, SQLITE_OPEN_READWRITE);
    REQUIRE(db.ok());
    auto done = gate::store::exec(db->get(), sql);
    INFO(sql << ": " << (done.ok() ? "" : done.error().message));
    REQUIRE(done.ok());
  }
  // The three tamperings issue 7 names, each on rows of the file.
  void delete_row(std::uint64_t seq) {
    tamper("DELETE FROM journal WHERE seq = " + std::to_string(seq));
  }
  // An open decision at `seq` turned into a denial (its mac left as it was).
  void edit_row(std::uint64_t seq) {
    tamper("UPDATE journal SET body = replace(body, '\"open\"', '\"deny\"') WHERE seq = " +
           std::to_string(seq));
  }
  // Rows `seq` and `seq + 1` exchange their bodies and macs.
  void swap_rows(std::uint64_t seq) {
    const std::string a = std::to_string(seq), b = std::to_string(seq + 1),
                      sum = std::to_string(2 * seq + 1);
    tamper("CREATE TEMP TABLE swapped AS SELECT seq, body, mac FROM journal WHERE seq IN (" + a +
           ", " + b + "); UPDATE journal SET body = (SELECT body FROM swapped s WHERE s.seq = " +
           sum + " - journal.seq), mac = (SELECT mac FROM swapped s WHERE s.seq = " + sum +
           " - journal.seq) WHERE seq IN (" + a + ", " + b + ")");
  }
};

inline GateSecrets secrets_for(std::initializer_list<const GateJournal*> gates) {
  GateSecrets s;
  for (const GateJournal* g : gates) s[g->key.gate] = g->key.secret;
  return s;
}

inline Collector open_collector(const TempDir& dir, GateSecrets secrets) {
  auto c = Collector::open(dir.file("collector.db"), std::move(secrets));
  INFO((c.ok() ? "" : c.error().message));
  REQUIRE(c.ok());
  return std::move(c).value();
}

inline Acceptance accept(Collector& c, const JournalBatch& batch) {
  auto a = c.accept(batch);
  INFO((a.ok() ? "" : a.error().message));
  REQUIRE(a.ok());
  return *a;
}

// POSTs `batch` to a collector on 127.0.0.1:`port` as a gate does (Content-Type, Idempotency-Key),
// trusting `ca_file`, and closes: the one response.
inline RawResponse post_batch(std::uint16_t port, const std::string& ca_file,
                              const JournalBatch& batch) {
  const std::string body = store::encode_batch(batch);
  const std::string request =
      "POST /batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: " +
      std::string(store::kBatchContentType) + "\r\nIdempotency-Key: " + batch.id() +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  auto responses = split_raw_responses(raw_tls_exchange(port, ca_file, request));
  REQUIRE(responses.size() == 1);
  return responses.front();
}

}  // namespace gate::test::collector

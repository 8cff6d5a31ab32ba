// Shared by the feed tests: sample records of every kind, a canonical dump of a cache's contents,
// and a feed directory published with a test key.
#pragma once

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/feed/feed_format.h"
#include "firmware/feed/feed_sync.h"
#include "firmware/store/record_loader.h"
#include "firmware/store/sqlite.h"
#include "sim/backoffice/feed_publisher.h"
#include "tests/firmware/store/cache_test_support.h"

namespace feed_test {

using namespace cache_test;
using gate::feed::Sec1Key;

// One record of every kind (and every delete), as CacheChanges.
inline std::vector<CacheChange> every_kind() {
  PolicyRecord p;
  p.id = "line1-enforce";
  p.effective_from = at_s(1653253200);
  p.scope_lines = {"L1", "L2"};
  p.scope_stations = {"S7"};
  p.policy.health_mode = gate::core::HealthMode::enforce;
  p.policy.not_upgraded = gate::core::NotUpgradedPolicy::deny;
  p.policy.block_yellow = false;
  p.policy.test_max_age_hours = 48;
  p.policy.max_cache_age_minutes = 1440;
  p.policy.anti_passback_minutes = 20;
  p.policy.accept_m1 = false;
  return {
      binding(kTu, "id-7f3a", BindingStatus::active, Media::card, 1652750000),
      binding(kBj, "id-b", BindingStatus::lost, Media::phone_card, -5),
      binding(kM1, "id-c", BindingStatus::blocked, Media::m1, 0),
      binding(kQr, "id-d", BindingStatus::unbound, Media::qr, 1),
      health("id-7f3a", HealthColour::green, false, 1653213600, 1653249600),
      health("id-b", HealthColour::red, true, std::nullopt, 1653249600),
      p,
      IssuerKey{7, 3, key_hex('a'), at_s(1600000000), at_s(1900000000), true},
      DenyEntry{kM1, "reported stolen"},
      Deletion{RecordKind::binding, kTu},
      Deletion{RecordKind::health, "id-b"},
      Deletion{RecordKind::policy, "line1-enforce"},
      Deletion{RecordKind::issuer_key, "", 7, 3},
      Deletion{RecordKind::deny, kM1},
  };
}

// Every row of every cache table (sync_state too when `with_sync`), in a canonical order, as text:
// two caches with equal dumps hold the same facts.
inline std::string dump_cache(sqlite3* db, bool with_sync = true) {
  std::vector<std::string> tables = {"binding",      "health",     "policy",
                                     "policy_scope", "issuer_key", "deny"};
  if (with_sync) tables.push_back("sync_state");
  std::string out;
  for (const auto& t : tables) {
    out += "[" + t + "]\n";
    auto probe = gate::store::prepare(db, "SELECT * FROM " + t);
    REQUIRE(probe.ok());
    std::string order = " ORDER BY 1";
    for (int c = 2; c <= sqlite3_column_count(probe->get()); ++c) order += ", " + std::to_string(c);
    auto s = gate::store::prepare(db, "SELECT * FROM " + t + order);
    REQUIRE(s.ok());
    while (sqlite3_step(s->get()) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s->get()); ++c) {
        const unsigned char* v = sqlite3_column_text(s->get(), c);
        out += v ? reinterpret_cast<const char*>(v) : "NULL";
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

inline std::string dump_cache(const std::string& path, bool with_sync = true) {
  auto w = CacheWriter::open(path);
  REQUIRE(w.ok());
  return dump_cache(w->db(), with_sync);
}

// A temporary feed directory and a publishing key.
struct TestFeed {
  CacheDir dir;
  gate::sim::CtrDrbg rng = gate::sim::CtrDrbg::from_system_entropy().value();
  gate::sim::P256KeyPair key = gate::sim::P256KeyPair::generate(rng).value();
  Instant now = at_s(1700000000);

  std::string path() const { return dir.path(); }
  Sec1Key pub() const { return key.public_key(); }

  // Publishes a snapshot of `records` (JSON lines) or a delta of `changes` at `seq`.
  gate::backoffice::Published publish(std::uint64_t seq, const std::string& records,
                                      const std::string& changes, bool snapshot = false,
                                      const gate::sim::P256KeyPair* previous = nullptr) {
    gate::backoffice::PublishRequest req;
    req.feed_dir = dir.path();
    req.snapshot = snapshot;
    req.now = now;
    req.previous_key = previous;
    auto p = gate::backoffice::publish(req, seq, records, changes, key, rng);
    INFO((p.ok() ? std::string() : p.error().message));
    REQUIRE(p.ok());
    return *p;
  }
};

}  // namespace feed_test

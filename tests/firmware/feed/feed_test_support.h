// Shared by the feed tests: sample records of every kind, a canonical dump of a cache's contents,
// and a feed directory published with a test key.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
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

// `base` with `edits` random byte changes, deletions or insertions (never empty).
inline std::vector<std::uint8_t> mutated(std::vector<std::uint8_t> m, int edits,
                                         std::mt19937& gen) {
  std::uniform_int_distribution<int> byte(0, 255);
  for (int e = 0; e < edits; ++e) {
    std::size_t at = static_cast<std::size_t>(gen() % m.size());
    switch (gen() % 3) {
      case 0:
        m[at] = static_cast<std::uint8_t>(byte(gen));
        break;
      case 1:
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      default:
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(byte(gen)));
    }
    if (m.empty()) m.push_back(0);
  }
  return m;
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

// `n` ride-code account bindings, qr:100000+from on.
inline std::vector<CacheChange> bindings(int from, int n) {
  std::vector<CacheChange> out;
  for (int i = from; i < from + n; ++i) {
    out.push_back(binding("qr:" + std::to_string(100000 + i), "id-" + std::to_string(i),
                          BindingStatus::active, Media::qr, i));
  }
  return out;
}

inline std::vector<std::uint8_t> payload_of(const std::vector<CacheChange>& changes) {
  auto p = gate::feed::encode_records(changes);
  REQUIRE(p.ok());
  return *p;
}

// The payload of `changes` (qr bindings) with the media byte of record `index` set to a value
// outside its set: a file signed over it is well signed, but not decodable.
inline std::vector<std::uint8_t> with_bad_record(const std::vector<CacheChange>& changes,
                                                 std::size_t index) {
  auto payload = payload_of(changes);
  auto one = payload_of({changes[index]});
  auto at = std::search(payload.begin(), payload.end(), one.begin() + 1, one.end());
  REQUIRE(at != payload.end());
  const auto& b = std::get<gate::core::Binding>(changes[index]);
  // tag, cred (kind + 8 bytes), identity (length + bytes), then the media byte.
  *(at + 1 + 9 + 1 + static_cast<std::ptrdiff_t>(b.identity.size())) = 9;
  return payload;
}

// A feed directory written file by file, so a test can sign a payload the publisher would never
// make.
struct HandFeed {
  explicit HandFeed(TestFeed& f) : feed(f) {}
  TestFeed& feed;
  gate::feed::Manifest manifest;

  gate::feed::ManifestEntry put(gate::feed::FileKind kind, std::uint64_t seq,
                                const std::vector<std::uint8_t>& payload) {
    const gate::feed::ManifestEntry* last =
        manifest.deltas.empty() ? &manifest.snapshot : &manifest.deltas.back();
    auto file = gate::backoffice::make_feed_file(
        kind, seq, kind == gate::feed::FileKind::delta ? &last->sha256 : nullptr, payload, feed.key,
        feed.rng);
    REQUIRE(file.ok());
    std::string name = (kind == gate::feed::FileKind::snapshot ? "snapshot-" : "delta-") +
                       std::to_string(seq) + ".gfd";
    REQUIRE(gate::backoffice::write_file_atomically(feed.path(), name, *file).ok());
    gate::feed::ManifestEntry e{seq, name, file->size(), *gate::core::sha256(*file)};
    if (kind == gate::feed::FileKind::snapshot) {
      manifest.snapshot = e;
      manifest.deltas.clear();
    } else {
      manifest.deltas.push_back(e);
    }
    manifest.latest_sequence = seq;
    manifest.made_at = feed.now;
    manifest.expires_at = feed.now + std::chrono::hours(1);
    auto m = gate::backoffice::make_manifest_file(manifest, feed.key, nullptr, feed.rng);
    REQUIRE(m.ok());
    REQUIRE(gate::backoffice::write_file_atomically(feed.path(), "manifest.gfd", *m).ok());
    return e;
  }
};

}  // namespace feed_test

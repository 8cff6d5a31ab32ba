#include "firmware/app/setup_check.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "firmware/core/decision_record.h"
#include "firmware/core/policy.h"
#include "firmware/store/cache.h"
#include "firmware/store/journal.h"
#include "firmware/store/sqlite.h"
#include "firmware/sync/feed_key.h"
#include "firmware/sync/https_client.h"

namespace gate::app {
namespace {

// The single integer a query returns (NULL reads as 0); -1 when it cannot be run.
long long query_int(sqlite3* db, const std::string& sql) {
  auto stmt = store::prepare(db, sql);
  if (!stmt.ok() || sqlite3_step(stmt->get()) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(stmt->get(), 0);
}

void check_cache(const Config& config, Instant now, SetupReport& report) {
  std::error_code ec;
  if (!std::filesystem::exists(config.cache_path, ec)) {
    if (!config.feed.url.empty()) {
      // A new gate with a feed: its first good sync makes the cache; out of service until then.
      report.found.push_back("cache: " + config.cache_path +
                             " does not exist yet; the first feed sync will make it (the gate "
                             "stays out of service until then)");
    } else {
      report.problems.push_back("cache: " + config.cache_path +
                                " does not exist (the gate has not synced yet)");
    }
    return;
  }
  auto cache = store::CacheReader::open(config.cache_path);
  if (!cache.ok()) {
    report.problems.push_back("cache: " + cache.error().message);
    return;
  }
  std::string counts;
  for (const char* table : {"binding", "health", "deny", "issuer_key", "policy"}) {
    long long n = query_int(cache->db(), std::string("SELECT count(*) FROM ") + table);
    if (n < 0) {
      report.problems.push_back(std::string("cache: table ") + table + " cannot be read");
      return;
    }
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + table;
  }
  report.found.push_back("cache: " + config.cache_path + " (schema " +
                         std::to_string(store::kCacheSchemaVersion) + "): " + counts);
  auto sync = cache->sync_state();
  if (!sync.ok()) {
    report.problems.push_back("cache: " + sync.error().message);
  } else if (!sync->last_good_sync) {
    report.found.push_back("cache: never synced (decisions follow the policy's `stale` rule)");
  } else {
    report.found.push_back("cache: last good sync " +
                           core::format_utc_millis(*sync->last_good_sync) + ", feed sequence " +
                           std::to_string(sync->sequence));
  }
  auto policies = cache->policies();
  if (!policies.ok()) {
    report.problems.push_back("cache: " + policies.error().message);
    return;
  }
  const core::PolicyRecord* in_force = core::resolve_policy(**policies, config.gate, now);
  report.found.push_back(
      in_force ? "policy in force now: " + in_force->id + " (health_mode " +
                     std::string(core::health_mode_name(in_force->policy.health_mode)) + ")"
               : std::string("policy in force now: none (health_mode off, "
                             "not_upgraded allow)"));
}

// The secret's file was read when the key was parsed; only its path and length are reported.
void check_journal_secret(const Config& config, SetupReport& report) {
  if (config.journal_secret.empty()) {
    report.problems.push_back(missing_journal_secret());
  } else {
    report.found.push_back("journal_secret: " + config.journal_secret_file + ", " +
                           std::to_string(config.journal_secret.size()) + " bytes");
  }
}

void check_journal(const Config& config, SetupReport& report) {
  check_journal_secret(config, report);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(config.journal_path, ec)) {
    // Read-only look: Journal::open would create or migrate, and a check must change nothing.
    auto db = store::open_db(config.journal_path, SQLITE_OPEN_READONLY);
    auto version = db.ok() ? store::user_version(db->get()) : Result<int>(db.error());
    if (!version.ok()) {
      report.problems.push_back("journal: " + version.error().message);
    } else if (*version > store::kJournalSchemaVersion) {
      report.problems.push_back("journal: " + config.journal_path + " has schema version " +
                                std::to_string(*version) + ", this build writes " +
                                std::to_string(store::kJournalSchemaVersion));
    } else {
      long long last = query_int(db->get(), "SELECT max(seq) FROM journal");
      std::string migrated =
          *version < store::kJournalSchemaVersion
              ? " (schema " + std::to_string(*version) + ", migrated to " +
                    std::to_string(store::kJournalSchemaVersion) + " at start-up)"
              : std::string();
      report.found.push_back("journal: " + config.journal_path + ", last sequence number " +
                             std::to_string(last) + migrated);
      if (*version >= 4) {
        long long pending = query_int(db->get(), std::string(store::kPendingUploadSql));
        long long acked = query_int(db->get(), "SELECT acked_seq FROM journal_upload");
        report.found.push_back("journal: " + std::to_string(pending) +
                               " row(s) not yet uploaded (the collector acknowledged up to " +
                               std::to_string(acked) + ")");
      }
    }
    return;
  }
  fs::path dir = fs::path(config.journal_path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) {
    report.problems.push_back("journal: directory " + dir.string() + " does not exist");
  } else if (access(dir.c_str(), W_OK) != 0) {
    report.problems.push_back("journal: directory " + dir.string() +
                              " is not writable: " + std::strerror(errno));
  } else {
    report.found.push_back("journal: " + config.journal_path + " will be created at start-up");
  }
}

// An HTTPS peer's CA (and client certificate) files load and its URL parses; nothing connects.
void check_peer(const HttpsPeer& peer, const std::string& name, SetupReport& report) {
  auto client = sync::HttpsClient::create(https_client_config(peer));
  if (!client.ok()) {
    report.problems.push_back(name + ": " + client.error().message);
  } else {
    report.found.push_back(
        name + ": " + peer.url + ", CA " + peer.ca_file +
        (peer.client_cert_file.empty() ? "" : ", client certificate " + peer.client_cert_file));
  }
}

// The collector: like the feed's server, plus what upload will do (batch, retention).
void check_collector(const Config& config, SetupReport& report) {
  const CollectorConfig& c = config.collector;
  if (c.url.empty()) {
    report.found.push_back("collector: no collector_url, the journal keeps every row");
    return;
  }
  check_peer(c, "collector", report);
  using namespace std::chrono;
  const auto retention_h = duration_cast<hours>(c.journal_retention).count();
  report.found.push_back("collector: batches of " + std::to_string(c.upload_batch) +
                         " rows, every " +
                         std::to_string(duration_cast<seconds>(c.upload_interval).count()) +
                         "s when caught up; uploaded rows kept " +
                         (retention_h % 24 == 0 ? std::to_string(retention_h / 24) + " day(s)"
                                                : std::to_string(retention_h) + "h"));
}

// The feed: the CA (and client certificate) files load, the feed key parses, the key state (if
// any) leads from it. Nothing is fetched: a check works offline.
void check_feed(const Config& config, SetupReport& report) {
  if (config.feed.url.empty()) {
    report.found.push_back("feed: no feed_url, the cache is not synced by this gate");
    return;
  }
  check_peer(config.feed, "feed", report);
  auto key = sync::load_feed_public_key(config.feed.key_file);
  if (!key.ok()) {
    report.problems.push_back("feed: " + key.error().message);
    return;
  }
  report.found.push_back("feed: key " + config.feed.key_file + " (P-256)");
  auto chain = sync::load_key_chain(feed_key_state_path(config), *key);
  if (!chain.ok()) {
    report.problems.push_back("feed: " + chain.error().message +
                              " (the gate pins the configured key)");
  } else if (!chain->rotations.empty()) {
    report.found.push_back("feed: key rotated " + std::to_string(chain->rotations.size()) +
                           " time(s) since the configured one");
  }
}

}  // namespace

SetupReport check_setup(const Config& config, Instant now) {
  SetupReport report;
  report.found.push_back("gate: " + config.gate.gate_id() + " " +
                         std::string(core::direction_name(config.gate.direction)));
  check_cache(config, now, report);
  check_journal(config, report);
  check_feed(config, report);
  check_collector(config, report);
  return report;
}

}  // namespace gate::app

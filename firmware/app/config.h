// The gate's configuration file: `key = value` lines, `#` comments, blank lines ignored. The same
// file drives the board program and the simulator; command-line flags override single keys.
// Every problem is reported with the line number and the key; nothing is half-read.
#pragma once

#include <chrono>
#include <istream>
#include <string>
#include <string_view>

#include "firmware/core/gate_context.h"
#include "firmware/gate/journal_budget.h"
#include "firmware/gate/main_loop.h"
#include "firmware/sync/https_client.h"
#include "hal/result.h"

namespace gate::app {

// A back-office HTTPS server the gate talks to, the feed's or the collector's, with the same
// settings under each one's prefix (feed_*, collector_*).
struct HttpsPeer {
  std::string url;               // <prefix>_url = https://feed.example.net/line1/
  std::string ca_file;           // <prefix>_ca = PEM bundle the server must chain to
  std::string server_name;       // <prefix>_server_name = name on its certificate (default: host)
  std::string client_cert_file;  // <prefix>_client_cert / _client_key: mutual TLS (both or none)
  std::string client_key_file;
};

// The HTTPS client settings for `peer` (its URL, CA, names, client certificate; the client's
// default timeouts and bounds, which the caller adjusts to what it transfers).
sync::HttpsClientConfig https_client_config(const HttpsPeer& peer);

// The signed feed the gate syncs its cache from (over HTTPS, on a thread of its own). `url` empty:
// no sync thread (a cache built some other way, e.g. `gate-sim cache-build`).
struct FeedConfig : HttpsPeer {
  std::string key_file;                         // feed_key = the operator's feed public key (PEM)
  Duration interval = std::chrono::minutes(5);  // feed_interval
  std::string staging_dir;                      // feed_staging; empty: cache path + ".feed/"
  std::string key_state_path;                   // feed_key_state; empty: cache path + ".feed-key"
};

// The back office's journal collector the gate uploads its journal to (issue 7; on a thread of
// its own). `url` empty: no upload, the journal keeps every row.
struct CollectorConfig : HttpsPeer {
  Duration upload_interval = std::chrono::seconds(10);    // between rounds when caught up
  std::size_t upload_batch = 500;                         // rows per batch, 1..kMaxBatchRows
  Duration upload_backoff_max = std::chrono::minutes(5);  // longest wait after failures
  // Acknowledged rows are kept this long, then pruned. At least a day: the anti-passback memory
  // is rebuilt from the journal's last 24 hours at start-up.
  Duration journal_retention = std::chrono::hours(24 * 7);
};

struct Config {
  core::GateContext gate;              // gate = L1:S07:G03:entry   (required)
  std::string cache_path;              // cache = /var/lib/gate/cache.db (required)
  std::string journal_path;            // journal = /var/lib/gate/journal.db (required)
  // journal_secret = /etc/gate-validator/journal-secret: a file of hex digits (at least 64, i.e.
  // 32 bytes; whitespace ignored), the key of the journal's hash chain (journal_chain.h). Holds
  // the decoded bytes, read when the key is set; never logged. A gate does not start without it
  // (GateRuntime::start; --check-config reports it); the simulator uses simulator_journal_secret()
  // when it is absent.
  std::string journal_secret_file;
  std::string journal_secret;
  // journal_max_size = 64MiB (0 or absent: no budget), journal_full_policy = out_of_service |
  // alarm: the journal's disk budget (firmware/gate/journal_budget.h).
  control::JournalBudgetConfig journal_budget;
  control::LoopConfig loop;            // timings and reader settings
  std::chrono::seconds code_skew{30};  // code_skew = 30s
  Duration watchdog_timeout = std::chrono::seconds(10);  // watchdog_timeout = 10s
  // watchdog_device = /dev/watchdog: the kernel's watchdog the board kicks besides systemd's
  // (drivers/linux_watchdog.h). Empty (the default): none.
  std::string watchdog_device;
  std::string reader = "direct";   // reader = direct | pn532 | libnfc connstring
  std::string scanner = "direct";  // scanner = direct | serial | none | serial device path
  FeedConfig feed;
  CollectorConfig collector;
};

// feed_staging and feed_key_state with their defaults applied (next to the cache).
std::string feed_staging_dir(const Config& config);
std::string feed_key_state_path(const Config& config);

// The simulator's fixed, public test secret: the 32 bytes 0x00, 0x01, …, 0x1f. Never for a board.
std::string simulator_journal_secret();

// Reads a journal secret file: hex digits, whitespace ignored, at least 32 bytes once decoded.
// Errors say what is wrong with the file, never its content.
Result<std::string> read_journal_secret(const std::string& path);

// The message for a gate configured without journal_secret.
std::string missing_journal_secret();

// Keys and their meaning, for --help and the README.
std::string_view config_reference();

// Parses a duration: a non-negative integer followed by ms, s, min, h (at most 7 days) or d (at
// most 366): "1500ms", "5s", "7d".
Result<Duration> parse_duration(std::string_view text);

// Parses a size in bytes: a non-negative integer, optionally followed by KiB, MiB or GiB
// ("65536", "512KiB", "64MiB").
Result<std::uint64_t> parse_byte_size(std::string_view text);

// Parses "+08:00" / "-05:30" / "Z" into minutes east of UTC.
Result<int> parse_utc_offset(std::string_view text);

// Sets one key on `config` (as from a file line or a --key=value flag). Errc::invalid_argument
// naming the key when the key is unknown or the value does not parse.
Status set_config_value(Config& config, std::string_view key, std::string_view value);

// Reads a whole file's text. Errors carry "line N: key: …". Required keys must be present at the
// end (`require_paths` false lets the simulator fill cache and journal from flags).
Result<Config> parse_config(std::istream& in, bool require_paths = true);
Result<Config> load_config_file(const std::string& path, bool require_paths = true);

// Checks the keys that must be set; used after flags were applied.
Status validate_config(const Config& config);

}  // namespace gate::app

#include "firmware/app/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "firmware/store/journal_batch.h"
#include "firmware/store/journal_chain.h"

namespace gate::app {
using store::kMinJournalSecretBytes;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Error bad(std::string_view key, std::string_view what) {
  return make_error(Errc::invalid_argument, std::string(key) + ": " + std::string(what));
}

using Setter = std::function<Status(Config&, std::string_view)>;

Setter duration_setter(Duration control::LoopConfig::*field) {
  return [field](Config& c, std::string_view v) -> Status {
    GATE_TRY_ASSIGN(Duration d, parse_duration(v));
    c.loop.*field = d;
    return ok_status();
  };
}

// A non-empty string of one section of the config (feed, collector).
template <class Section>
Setter string_setter(Section Config::*section, std::string Section::*field) {
  return [section, field](Config& c, std::string_view v) -> Status {
    if (v.empty()) return make_error(Errc::invalid_argument, "empty value");
    c.*section.*field = v;
    return ok_status();
  };
}

Setter feed_string(std::string FeedConfig::*field) {
  return string_setter<FeedConfig>(&Config::feed, field);
}

Setter collector_string(std::string CollectorConfig::*field) {
  return string_setter<CollectorConfig>(&Config::collector, field);
}

// A duration of the collector section, at least `min`.
Setter collector_duration(Duration CollectorConfig::*field, Duration min, std::string_view why) {
  return [field, min, why](Config& c, std::string_view v) -> Status {
    GATE_TRY_ASSIGN(Duration d, parse_duration(v));
    if (d < min) return make_error(Errc::invalid_argument, std::string(why));
    c.collector.*field = d;
    return ok_status();
  };
}

Setter timing_setter(Duration control::GateTimings::*field) {
  return [field](Config& c, std::string_view v) -> Status {
    GATE_TRY_ASSIGN(Duration d, parse_duration(v));
    c.loop.timings.*field = d;
    return ok_status();
  };
}

const std::map<std::string, Setter, std::less<>>& setters() {
  static const std::map<std::string, Setter, std::less<>> table = {
      {"gate",
       [](Config& c, std::string_view v) -> Status {
         auto ctx = core::parse_gate_spec(v);
         if (!ctx)
           return make_error(Errc::invalid_argument, "expected LINE:STATION:GATE:entry|exit");
         int offset = c.gate.utc_offset_minutes;
         c.gate = *ctx;
         c.gate.utc_offset_minutes = offset;
         return ok_status();
       }},
      {"utc_offset",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(c.gate.utc_offset_minutes, parse_utc_offset(v));
         return ok_status();
       }},
      {"cache",
       [](Config& c, std::string_view v) -> Status {
         c.cache_path = v;
         return ok_status();
       }},
      {"journal",
       [](Config& c, std::string_view v) -> Status {
         c.journal_path = v;
         return ok_status();
       }},
      {"journal_secret",
       [](Config& c, std::string_view v) -> Status {
         if (v.empty()) return make_error(Errc::invalid_argument, "empty value");
         GATE_TRY_ASSIGN(c.journal_secret, read_journal_secret(std::string(v)));
         c.journal_secret_file = v;
         return ok_status();
       }},
      {"journal_max_size",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(c.journal_budget.max_bytes, parse_byte_size(v));
         return ok_status();
       }},
      {"journal_full_policy",
       [](Config& c, std::string_view v) -> Status {
         auto policy = control::parse_journal_full_policy(v);
         if (!policy) return make_error(Errc::invalid_argument, "expected out_of_service or alarm");
         c.journal_budget.policy = *policy;
         return ok_status();
       }},
      {"reader",
       [](Config& c, std::string_view v) -> Status {
         c.reader = v;
         return ok_status();
       }},
      {"scanner",
       [](Config& c, std::string_view v) -> Status {
         c.scanner = v;
         return ok_status();
       }},
      {"open_timeout", timing_setter(&control::GateTimings::open_timeout)},
      {"result_display", timing_setter(&control::GateTimings::result_display)},
      {"staff_timeout", timing_setter(&control::GateTimings::staff_timeout)},
      {"hold_off", duration_setter(&control::LoopConfig::hold_off)},
      {"reader_down_grace", duration_setter(&control::LoopConfig::reader_down_grace)},
      {"sensor_stuck_after", duration_setter(&control::LoopConfig::sensor_stuck_after)},
      {"relay_confirm_timeout", duration_setter(&control::LoopConfig::relay_confirm_timeout)},
      {"code_skew",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(Duration d, parse_duration(v));
         c.code_skew = std::chrono::duration_cast<std::chrono::seconds>(d);
         return ok_status();
       }},
      {"feed_url",
       [](Config& c, std::string_view v) -> Status {
         if (v.substr(0, 8) != "https://" || v.size() <= 8) {
           return make_error(Errc::invalid_argument, "expected an https:// URL");
         }
         c.feed.url = v;
         return ok_status();
       }},
      {"feed_ca", feed_string(&FeedConfig::ca_file)},
      {"feed_server_name", feed_string(&FeedConfig::server_name)},
      {"feed_client_cert", feed_string(&FeedConfig::client_cert_file)},
      {"feed_client_key", feed_string(&FeedConfig::client_key_file)},
      {"feed_key", feed_string(&FeedConfig::key_file)},
      {"feed_staging", feed_string(&FeedConfig::staging_dir)},
      {"feed_key_state", feed_string(&FeedConfig::key_state_path)},
      {"feed_interval",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(Duration d, parse_duration(v));
         if (d < std::chrono::seconds(1)) {
           return make_error(Errc::invalid_argument, "at least 1s");
         }
         c.feed.interval = d;
         return ok_status();
       }},
      {"collector_url",
       [](Config& c, std::string_view v) -> Status {
         if (v.substr(0, 8) != "https://" || v.size() <= 8 || v.back() != '/') {
           // Batches go to <url>batches: a URL without its final '/' would name a sibling.
           return make_error(Errc::invalid_argument, "expected an https:// URL ending with '/'");
         }
         c.collector.url = v;
         return ok_status();
       }},
      {"collector_ca", collector_string(&CollectorConfig::ca_file)},
      {"collector_server_name", collector_string(&CollectorConfig::server_name)},
      {"collector_client_cert", collector_string(&CollectorConfig::client_cert_file)},
      {"collector_client_key", collector_string(&CollectorConfig::client_key_file)},
      {"upload_interval", collector_duration(&CollectorConfig::upload_interval,
                                             std::chrono::seconds(1), "at least 1s")},
      {"upload_backoff_max", collector_duration(&CollectorConfig::upload_backoff_max,
                                                std::chrono::seconds(1), "at least 1s")},
      {"journal_retention",
       collector_duration(&CollectorConfig::journal_retention, std::chrono::hours(24),
                          "at least 1d (the anti-passback memory reloads the last day)")},
      {"upload_batch",
       [](Config& c, std::string_view v) -> Status {
         std::size_t n = 0;
         auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > store::kMaxBatchRows) {
           return make_error(Errc::invalid_argument, "expected a row count from 1 to " +
                                                         std::to_string(store::kMaxBatchRows));
         }
         c.collector.upload_batch = n;
         return ok_status();
       }},
      {"watchdog_timeout",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(Duration d, parse_duration(v));
         // The loop kicks every iteration (100 ms on a board); a kernel watchdog counts in whole
         // seconds.
         if (d < std::chrono::seconds(1)) return make_error(Errc::invalid_argument, "at least 1s");
         c.watchdog_timeout = d;
         return ok_status();
       }},
      {"watchdog_device",
       [](Config& c, std::string_view v) -> Status {
         if (!v.empty() && v.front() != '/') {
           return make_error(Errc::invalid_argument, "expected a device path (/dev/watchdog)");
         }
         c.watchdog_device = v;
         return ok_status();
       }},
  };
  return table;
}

}  // namespace

std::string_view config_reference() {
  return "gate = L1:S07:G03:entry   line, station, gate id and direction (required)\n"
         "cache = PATH              the SQLite cache (required)\n"
         "journal = PATH            the decision journal (required)\n"
         "journal_secret = PATH     the journal chain's secret, 64+ hex digits (board: required)\n"
         "journal_max_size = 0      the journal's disk budget: bytes, KiB, MiB, GiB (0: none)\n"
         "journal_full_policy = out_of_service\n"
         "                          over the budget after pruning: out_of_service or alarm\n"
         "utc_offset = +08:00       local time for card validity dates\n"
         "reader = direct           card reader: direct or pn532 (simulator), libnfc connstring\n"
         "scanner = direct          code scanner: direct or serial (simulator), none, serial path\n"
         "open_timeout = 5s         gate open, nobody passes: close\n"
         "result_display = 2s       how long a deny is shown\n"
         "staff_timeout = 20s       staff check unconfirmed: deny\n"
         "hold_off = 1500ms         the same credential again within this is ignored\n"
         "reader_down_grace = 3s    reader down this long: out of service\n"
         "sensor_stuck_after = 60s  passage sensor blocked this long: out of service\n"
         "relay_confirm_timeout = 1s  barrier feedback disagreeing this long: out of service\n"
         "code_skew = 30s           clock allowance for ride codes\n"
         "watchdog_timeout = 10s    the loop must kick the watchdog within this\n"
         "watchdog_device = PATH    the kernel's watchdog (/dev/watchdog) besides systemd's "
         "(absent: none)\n"
         "feed_url = URL            the signed feed's https:// base URL (absent: no sync thread)\n"
         "feed_ca = PATH            PEM CA bundle the feed server must chain to (with feed_url)\n"
         "feed_server_name = NAME   name on the server's certificate (default: the URL's host)\n"
         "feed_client_cert = PATH   PEM client certificate for mutual TLS (with feed_client_key)\n"
         "feed_client_key = PATH    its PEM private key\n"
         "feed_key = PATH           the operator's feed public key, PEM (with feed_url)\n"
         "feed_interval = 5min      time between syncs\n"
         "feed_staging = DIR        downloads in progress (default: the cache path + .feed/)\n"
         "feed_key_state = PATH     the feed key rotations (default: the cache path + .feed-key)\n"
         "collector_url = URL       the journal collector's https:// URL, ending with '/' "
         "(absent:\n"
         "                          no upload, the journal keeps every row)\n"
         "collector_ca = PATH       PEM CA bundle the collector must chain to (with "
         "collector_url)\n"
         "collector_server_name = NAME  name on the collector's certificate (default: the host)\n"
         "collector_client_cert = PATH  PEM client certificate (with collector_client_key)\n"
         "collector_client_key = PATH   its PEM private key\n"
         "upload_interval = 10s     between uploads when caught up\n"
         "upload_batch = 500        journal rows per batch (1 to 2000)\n"
         "upload_backoff_max = 5min longest wait between attempts while the collector fails\n"
         "journal_retention = 7d    uploaded rows are kept this long, then pruned (at least 1d)\n";
}

std::string simulator_journal_secret() {
  std::string secret(kMinJournalSecretBytes, '\0');
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(i);
  return secret;
}

Result<std::string> read_journal_secret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::io_error, "cannot read " + path);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string secret;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    int n = nibble(c);
    if (n < 0) return make_error(Errc::invalid_argument, path + ": not hex digits");
    if (high < 0) {
      high = n;
    } else {
      secret += static_cast<char>(high * 16 + n);
      high = -1;
    }
  }
  if (high >= 0) return make_error(Errc::invalid_argument, path + ": odd number of hex digits");
  if (secret.size() < kMinJournalSecretBytes) {
    return make_error(Errc::invalid_argument,
                      path + ": " + std::to_string(secret.size()) + " bytes, at least " +
                          std::to_string(kMinJournalSecretBytes) + " needed (" +
                          std::to_string(2 * kMinJournalSecretBytes) + " hex digits)");
  }
  return secret;
}

Result<Duration> parse_duration(std::string_view text) {
  text = trim(text);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0 || end == text.data()) {
    return make_error(Errc::invalid_argument, "expected a duration like 1500ms, 5s, 2min, 1h");
  }
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  constexpr std::int64_t kMaxSeconds = 7 * 24 * 3600;
  constexpr std::int64_t kMaxDays = 366;  // retention-like keys: a week is a short outage
  std::int64_t us = 0;
  if (unit == "ms" && n <= kMaxSeconds * 1000) {
    us = n * 1000;
  } else if (unit == "s" && n <= kMaxSeconds) {
    us = n * 1000000;
  } else if (unit == "min" && n <= kMaxSeconds / 60) {
    us = n * 60000000;
  } else if (unit == "h" && n <= kMaxSeconds / 3600) {
    us = n * 3600000000LL;
  } else if (unit == "d" && n <= kMaxDays) {
    us = n * 86400000000LL;
  } else {
    return make_error(Errc::invalid_argument,
                      "expected a duration like 1500ms, 5s, 2min, 1h (at most 7 days) or 30d "
                      "(at most 366)");
  }
  return Duration(us);
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  text = trim(text);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  int shift = unit.empty() ? 0 : unit == "KiB" ? 10 : unit == "MiB" ? 20 : unit == "GiB" ? 30 : -1;
  // Past 2^50 bytes (a pebibyte) is no journal a gate has: surely a typo.
  if (ec != std::errc() || end == text.data() || shift < 0 ||
      n > (std::uint64_t{1} << (50 - shift))) {
    return make_error(Errc::invalid_argument, "expected a size like 65536, 512KiB, 64MiB, 2GiB");
  }
  return n << shift;
}

Result<int> parse_utc_offset(std::string_view text) {
  text = trim(text);
  if (text == "Z") return 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || !digit(text[1]) ||
      !digit(text[2]) || text[3] != ':' || !digit(text[4]) || !digit(text[5])) {
    return make_error(Errc::invalid_argument, "expected +HH:MM, -HH:MM or Z");
  }
  int hours = (text[1] - '0') * 10 + (text[2] - '0');
  int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (hours > 14 || minutes > 59) return make_error(Errc::invalid_argument, "offset out of range");
  int total = hours * 60 + minutes;
  return text[0] == '-' ? -total : total;
}

Status set_config_value(Config& config, std::string_view key, std::string_view value) {
  auto it = setters().find(key);
  if (it == setters().end()) return bad(key, "unknown key");
  Status s = it->second(config, trim(value));
  if (!s.ok()) return bad(key, s.error().message);
  return ok_status();
}

std::string feed_staging_dir(const Config& config) {
  return config.feed.staging_dir.empty() ? config.cache_path + ".feed/" : config.feed.staging_dir;
}

std::string feed_key_state_path(const Config& config) {
  return config.feed.key_state_path.empty() ? config.cache_path + ".feed-key"
                                            : config.feed.key_state_path;
}

sync::HttpsClientConfig https_client_config(const HttpsPeer& peer) {
  sync::HttpsClientConfig https;
  https.base_url = peer.url;
  https.ca_file = peer.ca_file;
  https.server_name = peer.server_name;
  https.client_cert_file = peer.client_cert_file;
  https.client_key_file = peer.client_key_file;
  return https;
}

namespace {

// The keys of a peer that only make sense together; errors name the key at fault.
Status validate_peer(const HttpsPeer& peer, const std::string& prefix) {
  if (peer.client_cert_file.empty() != peer.client_key_file.empty()) {
    return peer.client_cert_file.empty()
               ? bad(prefix + "_client_key", "needs " + prefix + "_client_cert")
               : bad(prefix + "_client_cert", "needs " + prefix + "_client_key");
  }
  if (peer.url.empty()) return ok_status();
  if (peer.ca_file.empty()) {
    return bad(prefix + "_url", "needs " + prefix + "_ca (the server's CA bundle)");
  }
  return ok_status();
}

Status validate_peers(const Config& config) {
  GATE_TRY(validate_peer(config.feed, "feed"));
  if (!config.feed.url.empty() && config.feed.key_file.empty()) {
    return bad("feed_url", "needs feed_key (the feed's public key)");
  }
  return validate_peer(config.collector, "collector");
}

}  // namespace

Status validate_config(const Config& config) {
  if (config.gate.line.empty()) return bad("gate", "missing");
  if (config.cache_path.empty()) return bad("cache", "missing");
  if (config.journal_path.empty()) return bad("journal", "missing");
  return validate_peers(config);
}

std::string missing_journal_secret() {
  return "journal_secret: missing (a file of at least 64 hex digits, e.g. from "
         "`openssl rand -hex 32`, also given to the back office)";
}

Result<Config> parse_config(std::istream& in, bool require_paths) {
  Config config;
  bool has_gate = false;
  std::map<std::string, std::size_t, std::less<>> key_lines;  // where each key was last set
  std::string raw;
  for (std::size_t line_no = 1; std::getline(in, raw); ++line_no) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return make_error(Errc::invalid_argument,
                        "line " + std::to_string(line_no) + ": expected `key = value`");
    }
    std::string_view key = trim(line.substr(0, eq));
    Status s = set_config_value(config, key, line.substr(eq + 1));
    if (!s.ok()) {
      return make_error(Errc::invalid_argument,
                        "line " + std::to_string(line_no) + ": " + s.error().message);
    }
    has_gate = has_gate || key == "gate";
    key_lines[std::string(key)] = line_no;
  }
  if (Status s = validate_peers(config); !s.ok()) {
    // Named by the line of the key at fault (<prefix>_url, _client_cert or _client_key).
    const std::string& m = s.error().message;
    auto at = key_lines.find(std::string_view(m).substr(0, m.find(':')));
    if (at != key_lines.end()) {
      return make_error(Errc::invalid_argument, "line " + std::to_string(at->second) + ": " + m);
    }
    return s.error();
  }
  if (require_paths) GATE_TRY(validate_config(config));
  if (!has_gate && require_paths) return bad("gate", "missing");
  return config;
}

Result<Config> load_config_file(const std::string& path, bool require_paths) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::not_found, "cannot open config file " + path);
  auto config = parse_config(in, require_paths);
  if (!config.ok()) return make_error(config.error().code, path + ": " + config.error().message);
  return config;
}

}  // namespace gate::app

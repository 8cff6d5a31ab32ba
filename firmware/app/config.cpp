#include "firmware/app/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>

namespace gate::app {
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
      {"code_skew",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(Duration d, parse_duration(v));
         c.code_skew = std::chrono::duration_cast<std::chrono::seconds>(d);
         return ok_status();
       }},
      {"watchdog_timeout",
       [](Config& c, std::string_view v) -> Status {
         GATE_TRY_ASSIGN(c.watchdog_timeout, parse_duration(v));
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
         "utc_offset = +08:00       local time for card validity dates\n"
         "reader = direct           card reader: direct or pn532 (simulator), libnfc connstring\n"
         "scanner = direct          code scanner: direct or serial (simulator), none, serial path\n"
         "open_timeout = 5s         gate open, nobody passes: close\n"
         "result_display = 2s       how long a deny is shown\n"
         "staff_timeout = 20s       staff check unconfirmed: deny\n"
         "hold_off = 1500ms         the same credential again within this is ignored\n"
         "reader_down_grace = 3s    reader down this long: out of service\n"
         "code_skew = 30s           clock allowance for ride codes\n"
         "watchdog_timeout = 10s    the loop must kick the watchdog within this\n";
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
  std::int64_t us = 0;
  if (unit == "ms" && n <= kMaxSeconds * 1000) {
    us = n * 1000;
  } else if (unit == "s" && n <= kMaxSeconds) {
    us = n * 1000000;
  } else if (unit == "min" && n <= kMaxSeconds / 60) {
    us = n * 60000000;
  } else if (unit == "h" && n <= kMaxSeconds / 3600) {
    us = n * 3600000000LL;
  } else {
    return make_error(Errc::invalid_argument,
                      "expected a duration like 1500ms, 5s, 2min, 1h (at most 7 days)");
  }
  return Duration(us);
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

Status validate_config(const Config& config) {
  if (config.gate.line.empty()) return bad("gate", "missing");
  if (config.cache_path.empty()) return bad("cache", "missing");
  if (config.journal_path.empty()) return bad("journal", "missing");
  return ok_status();
}

Result<Config> parse_config(std::istream& in, bool require_paths) {
  Config config;
  bool has_gate = false;
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

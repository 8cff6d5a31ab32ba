#include "sim/scenario/scenario.h"

#include <charconv>
#include <sstream>

#include "firmware/app/config.h"
#include "firmware/core/credential.h"
#include "firmware/store/iso_time.h"

namespace gate::sim {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

Error line_error(std::size_t line_no, std::string_view what) {
  return make_error(Errc::malformed, "line " + std::to_string(line_no) + ": " + std::string(what));
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto num = [](std::string_view part, auto& out) {
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && p == part.data() + part.size();
  };
  if (!num(s.substr(0, 4), y) || !num(s.substr(5, 2), m) || !num(s.substr(8, 2), d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

Result<std::string> card_key(std::string_view word, std::size_t line_no) {
  auto kind = core::credential_key_kind(word);
  if (!kind || *kind == core::KeyKind::qr) {
    return line_error(line_no, "not a card key (tu:<19 digits>, bj:<16 hex>, m1:<8 hex>): " +
                                   std::string(word.substr(0, 40)));
  }
  return std::string(word);
}

Result<ScenarioEvent> parse_tap(const std::vector<std::string_view>& w, ScenarioEvent ev) {
  if (w.size() < 2) return line_error(ev.line, "tap needs a card key");
  GATE_TRY_ASSIGN(std::string key, card_key(w[1], ev.line));
  ev.keys.push_back(std::move(key));
  for (std::size_t i = 2; i < w.size(); ++i) {
    if (w[i] == "phone") {
      ev.phone = true;
    } else if (w[i] == "hold" && i + 1 < w.size()) {
      auto d = app::parse_duration(w[++i]);
      if (!d.ok()) return line_error(ev.line, "hold: " + d.error().message);
      ev.duration = *d;
    } else if (w[i] == "expires" && i + 1 < w.size()) {
      ev.expires = parse_date(w[++i]);
      if (!ev.expires) return line_error(ev.line, "expires: expected YYYY-MM-DD");
    } else {
      return line_error(ev.line, "tap: unexpected `" + std::string(w[i]) +
                                     "` (options: hold <duration>, phone, expires <date>)");
    }
  }
  return ev;
}

}  // namespace

Result<std::optional<ScenarioEvent>> parse_scenario_line(std::string_view line,
                                                         std::size_t line_no) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  std::vector<std::string_view> w = split_words(line);
  if (w.empty() || w[0].front() == '#') return std::optional<ScenarioEvent>();
  ScenarioEvent ev;
  ev.line = line_no;
  using K = ScenarioEvent::Kind;
  std::string_view verb = w[0];
  auto exactly = [&](std::size_t n) -> Status {
    if (w.size() != n) return line_error(line_no, std::string(verb) + ": wrong number of words");
    return ok_status();
  };
  if (verb == "clock") {
    GATE_TRY(exactly(2));
    auto at = store::parse_iso8601(w[1]);
    if (!at) return line_error(line_no, "clock: expected an ISO 8601 time with offset");
    ev.kind = K::clock;
    ev.at = *at;
  } else if (verb == "wait") {
    GATE_TRY(exactly(2));
    auto d = app::parse_duration(w[1]);
    if (!d.ok()) return line_error(line_no, "wait: " + d.error().message);
    ev.kind = K::wait;
    ev.duration = *d;
  } else if (verb == "tap") {
    ev.kind = K::tap;
    GATE_TRY_ASSIGN(ev, parse_tap(w, std::move(ev)));
  } else if (verb == "tap-many") {
    if (w.size() < 3) return line_error(line_no, "tap-many: needs two or more card keys");
    ev.kind = K::tap_many;
    for (std::size_t i = 1; i < w.size(); ++i) {
      GATE_TRY_ASSIGN(std::string key, card_key(w[i], line_no));
      ev.keys.push_back(std::move(key));
    }
  } else if (verb == "tap-bad") {
    GATE_TRY(exactly(1));
    ev.kind = K::tap_bad;
  } else if (verb == "scan") {
    // The rest of the line, as the scanner would deliver it (it may hold spaces).
    std::size_t start = line.find("scan") + 4;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
    ev.kind = K::scan;
    ev.text = std::string(line.substr(start));
  } else if (verb == "pass") {
    GATE_TRY(exactly(1));
    ev.kind = K::pass;
  } else if (verb == "staff") {
    GATE_TRY(exactly(2));
    if (w[1] == "confirm") {
      ev.kind = K::staff_confirm;
    } else if (w[1] == "open") {
      ev.kind = K::staff_open;
    } else {
      return line_error(line_no, "staff: expected `confirm` or `open`");
    }
  } else if (verb == "emergency") {
    GATE_TRY(exactly(2));
    if (w[1] == "on") {
      ev.kind = K::emergency_on;
    } else if (w[1] == "off") {
      ev.kind = K::emergency_off;
    } else {
      return line_error(line_no, "emergency: expected `on` or `off`");
    }
  } else if (verb == "fault") {
    GATE_TRY(exactly(3));
    bool known = false;
    for (std::string_view name : kFaultNames) known = known || name == w[1];
    if (!known)
      return line_error(line_no, "fault: unknown fault `" + std::string(w[1].substr(0, 40)) + "`");
    if (w[2] != "on" && w[2] != "off") return line_error(line_no, "fault: expected `on` or `off`");
    ev.kind = K::fault;
    ev.text = std::string(w[1]);
    ev.on = w[2] == "on";
  } else if (verb == "stall") {
    GATE_TRY(exactly(2));
    auto d = app::parse_duration(w[1]);
    if (!d.ok()) return line_error(line_no, "stall: " + d.error().message);
    ev.kind = K::stall;
    ev.duration = *d;
  } else {
    return line_error(line_no, "unknown event `" + std::string(verb.substr(0, 40)) + "`");
  }
  return std::optional<ScenarioEvent>(std::move(ev));
}

Result<std::vector<ScenarioEvent>> parse_scenario(std::istream& in) {
  std::vector<ScenarioEvent> events;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    GATE_TRY_ASSIGN(std::optional<ScenarioEvent> ev, parse_scenario_line(line, line_no));
    if (ev) events.push_back(std::move(*ev));
  }
  return events;
}

}  // namespace gate::sim

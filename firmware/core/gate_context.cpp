#include "firmware/core/gate_context.h"

#include <algorithm>
#include <vector>

namespace gate::core {
namespace {

bool is_id_part(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string_view direction_name(Direction direction) {
  return direction == Direction::entry ? "entry" : "exit";
}

std::optional<GateContext> parse_gate_spec(std::string_view spec) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 4) return std::nullopt;
  for (int i = 0; i < 3; ++i) {
    if (!is_id_part(parts[i])) return std::nullopt;
  }
  GateContext ctx;
  if (parts[3] == "entry") {
    ctx.direction = Direction::entry;
  } else if (parts[3] == "exit") {
    ctx.direction = Direction::exit;
  } else {
    return std::nullopt;
  }
  ctx.line = parts[0];
  ctx.station = parts[1];
  ctx.gate = parts[2];
  return ctx;
}

}  // namespace gate::core

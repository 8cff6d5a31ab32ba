// Where a gate stands and which way it lets people through.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gate::core {

enum class Direction { entry, exit };

struct GateContext {
  std::string line;     // e.g. "L1"
  std::string station;  // e.g. "S07"
  std::string gate;     // e.g. "G03"
  Direction direction = Direction::entry;
  int utc_offset_minutes = 480;  // local time for card validity dates (Beijing: +08:00)

  // "L1-S07-G03", the `gate` field of decision records.
  std::string gate_id() const { return line + "-" + station + "-" + gate; }
};

std::string_view direction_name(Direction direction);

// Parses "L1:S07:G03:entry" (direction `entry` or `exit`). std::nullopt if malformed: four
// non-empty parts of [A-Za-z0-9_], the last one a direction.
std::optional<GateContext> parse_gate_spec(std::string_view spec);

}  // namespace gate::core

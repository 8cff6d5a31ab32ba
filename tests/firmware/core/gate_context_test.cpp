#include "firmware/core/gate_context.h"

#include <catch2/catch.hpp>
#include <string>

namespace gate::core {
namespace {

TEST_CASE("parse_gate_spec reads line, station, gate and direction", "[gate_context]") {
  std::optional<GateContext> ctx = parse_gate_spec("L1:S07:G03:entry");
  REQUIRE(ctx);
  CHECK(ctx->line == "L1");
  CHECK(ctx->station == "S07");
  CHECK(ctx->gate == "G03");
  CHECK(ctx->direction == Direction::entry);
  CHECK(ctx->gate_id() == "L1-S07-G03");
  CHECK(ctx->utc_offset_minutes == 480);  // Beijing by default

  std::optional<GateContext> exit = parse_gate_spec("line_10:s2:gate9:exit");
  REQUIRE(exit);
  CHECK(exit->line == "line_10");
  CHECK(exit->station == "s2");
  CHECK(exit->gate == "gate9");
  CHECK(exit->direction == Direction::exit);
  CHECK(exit->gate_id() == "line_10-s2-gate9");
}

TEST_CASE("parse_gate_spec refuses malformed specs", "[gate_context]") {
  const char* bad =
      GENERATE("", "L1", "L1:S07:G03", "L1:S07:G03:entry:x", "L1::G03:entry", ":S07:G03:entry",
               "L1:S07::entry", "L1:S07:G03:", "L1:S07:G03:Entry", "L1:S07:G03:in",
               "L1:S-07:G03:entry", "L1 :S07:G03:entry", "L1:S07:G03:entry ",
               "L1:S07:G\xC3\xA9:entry", "L1-S07-G03-entry", ":::", "L1:S07:G03::entry");
  INFO("spec: '" << bad << "'");
  CHECK_FALSE(parse_gate_spec(bad).has_value());
}

TEST_CASE("direction names are the record's words", "[gate_context]") {
  CHECK(direction_name(Direction::entry) == "entry");
  CHECK(direction_name(Direction::exit) == "exit");
}

}  // namespace
}  // namespace gate::core

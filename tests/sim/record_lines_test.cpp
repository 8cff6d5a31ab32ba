#include "sim/populate/record_lines.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "firmware/store/record_loader.h"

namespace gate::sim {
namespace {

std::vector<std::string> demo_lines_of_type(std::string_view type) {
  std::ifstream in(GATE_SOURCE_DIR "/sim/demo/records.jsonl");
  REQUIRE(in);
  const std::string marker = "{\"type\":\"" + std::string(type) + "\"";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(marker)) lines.push_back(line);
  }
  return lines;
}

TEST_CASE("issuer_key lines are written exactly as the demo records hold them", "[records]") {
  const auto lines = demo_lines_of_type("issuer_key");
  REQUIRE(lines.size() >= 2);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    auto change = store::parse_record_line(lines[i], i + 1);
    REQUIRE(change.ok());
    const auto* key = std::get_if<core::IssuerKey>(&*change);
    REQUIRE(key != nullptr);
    std::string out;
    append_issuer_key_line(out, *key, 8 * 60);
    CHECK(out == lines[i] + "\n");
  }
}

TEST_CASE("an issuer_key line in UTC reads back as the same key", "[records]") {
  core::IssuerKey key;
  key.issuer_id = 65535;
  key.key_id = 255;
  key.public_key_hex = "04" + std::string(128, 'a');
  key.valid_from = Instant{std::chrono::seconds{1653253200}};
  key.valid_until = Instant{std::chrono::seconds{1684800000}};
  key.revoked = true;
  std::string out;
  append_issuer_key_line(out, key, 0);
  CHECK(out.find("\"valid_from\":\"2022-05-22T21:00:00Z\"") != std::string::npos);
  auto change = store::parse_record_line(out.substr(0, out.size() - 1), 1);
  INFO(out);
  REQUIRE(change.ok());
  const auto* back = std::get_if<core::IssuerKey>(&*change);
  REQUIRE(back != nullptr);
  CHECK(back->issuer_id == key.issuer_id);
  CHECK(back->key_id == key.key_id);
  CHECK(back->public_key_hex == key.public_key_hex);
  CHECK(back->valid_from == key.valid_from);
  CHECK(back->valid_until == key.valid_until);
  CHECK(back->revoked);
}

}  // namespace
}  // namespace gate::sim

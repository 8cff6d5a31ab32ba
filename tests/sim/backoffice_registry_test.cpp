// The binding registry's rules (S5, S6, S8, S11; README "gate-backoffice"), each allowed and
// refused, through sim/backoffice/registry.h: a refused batch names its line and rule and leaves
// the registry exactly as it was.
#include <catch2/catch.hpp>
#include <sstream>

#include "firmware/store/record_loader.h"
#include "sim/backoffice/registry.h"
#include "tests/support/temp_dir.h"

using gate::backoffice::parse_operations;
using gate::backoffice::Registry;
using gate::test::TempDir;

namespace {

const std::string kAt = "2022-05-20T09:00:00+08:00";

std::string bind_op(const std::string& cred, const std::string& identity,
                    const std::string& media = "card", std::string by = "") {
  if (by.empty()) by = identity;
  return R"({"op":"bind","at":")" + kAt + R"(","credential":")" + cred + R"(","identity":")" +
         identity + R"(","media":")" + media + R"(","by":")" + by + "\"}\n";
}

std::string status_op(const std::string& op, const std::string& cred) {
  return R"({"op":")" + op + R"(","credential":")" + cred + R"(","at":")" + kAt + "\"}\n";
}

// Applies `text` as one operations file: the new sequence, or the error message.
gate::Result<std::uint64_t> apply_ops(Registry& reg, const std::string& text) {
  std::istringstream in(text);
  auto ops = parse_operations(in);
  if (!ops.ok()) return ops.error();
  return reg.apply(*ops);
}

// Applies `text`, which must be refused with a message starting `prefix`, and checks that the
// registry's records, changes and sequence did not move.
void check_refused(Registry& reg, const std::string& text, const std::string& prefix) {
  std::string records_before = *reg.records();
  std::string changes_before = *reg.changes(0);
  std::uint64_t seq_before = *reg.sequence();
  auto r = apply_ops(reg, text);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().message.rfind(prefix, 0) == 0);
  CHECK(*reg.records() == records_before);
  CHECK(*reg.changes(0) == changes_before);
  CHECK(*reg.sequence() == seq_before);
}

std::string binding_line(const std::string& cred, const std::string& identity,
                         const std::string& status, const std::string& media = "card") {
  return R"({"type":"binding","credential":")" + cred + R"(","identity":")" + identity +
         R"(","media":")" + media + R"(","status":")" + status + R"(","since":")" + kAt + "\"}";
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

const std::string kCardA = "tu:3105170000000000101";
const std::string kCardB = "tu:3105170000000000102";
const std::string kPhone1 = "tu:3105170000000000201";
const std::string kPhone2 = "tu:3105170000000000202";
const std::string kM1 = "m1:0a0b0c0d";

}  // namespace

TEST_CASE("S5: one active physical card per identity, the old one is unbound first") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  REQUIRE(apply_ops(*reg, bind_op(kCardA, "id-7f3a")).ok());
  // A second physical card, a MIFARE card too, is refused on the line that asks for it.
  check_refused(*reg, "\n" + bind_op(kPhone1, "id-7f3a", "phone_card") + bind_op(kCardB, "id-7f3a"),
                "line 3: S5: identity id-7f3a already has an active physical card "
                "tu:***************0101; unbind it first");
  check_refused(*reg, bind_op(kM1, "id-7f3a", "m1"), "line 1: S5:");
  // Unbind the old one and bind the new one, in one file.
  REQUIRE(apply_ops(*reg, status_op("unbind", kCardA) + bind_op(kCardB, "id-7f3a")).ok());
  std::string records = *reg->records();
  CHECK(has_line(records, binding_line(kCardA, "id-7f3a", "unbound")));
  CHECK(has_line(records, binding_line(kCardB, "id-7f3a", "active")));
  // The unbound card may be bound again, by someone else.
  CHECK(apply_ops(*reg, bind_op(kCardA, "id-other")).ok());
}

TEST_CASE("S5: one phone card per identity besides the physical card, ride codes unlimited") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  REQUIRE(apply_ops(*reg, bind_op(kCardA, "id-1") + bind_op(kPhone1, "id-1", "phone_card") +
                              bind_op("qr:100000000001", "id-1", "qr") +
                              bind_op("qr:100000000002", "id-1", "qr"))
              .ok());
  check_refused(*reg, bind_op(kPhone2, "id-1", "phone_card"),
                "line 1: S5: identity id-1 already has an active phone card "
                "tu:***************0201; unbind it first");
}

TEST_CASE("S5 and S8: a lost card holds its slot until it is unbound") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  REQUIRE(apply_ops(*reg, bind_op(kCardA, "id-1") + status_op("report_lost", kCardA)).ok());
  CHECK(has_line(*reg->records(), binding_line(kCardA, "id-1", "lost")));
  check_refused(*reg, bind_op(kCardB, "id-1"),
                "line 1: S5: identity id-1 already has a lost physical card "
                "tu:***************0101; unbind it first");
  check_refused(*reg, status_op("report_lost", kCardA), "line 1: S8: credential");
  REQUIRE(apply_ops(*reg, status_op("unbind", kCardA) + bind_op(kCardB, "id-1")).ok());
}

TEST_CASE("S8: a card bound to somebody else cannot be bound") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  REQUIRE(apply_ops(*reg, bind_op(kCardA, "id-1")).ok());
  check_refused(*reg, bind_op(kCardA, "id-2"),
                "line 1: S8: credential tu:***************0101 is bound to another identity");
  check_refused(*reg, bind_op(kCardA, "id-1"),
                "line 1: S5: credential tu:***************0101 is "
                "already bound to identity id-1");
}

TEST_CASE("S11: a refunded card is blocked for good") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  REQUIRE(apply_ops(*reg, bind_op(kCardA, "id-1") + status_op("refund", kCardA)).ok());
  CHECK(has_line(*reg->records(), binding_line(kCardA, "id-1", "blocked")));
  check_refused(*reg, bind_op(kCardA, "id-1"),
                "line 1: S11: credential tu:***************0101 was refunded and cannot be "
                "bound again");
  check_refused(*reg, status_op("unbind", kCardA), "line 1: S11:");
  check_refused(*reg, status_op("refund", kCardA), "line 1: S11:");
  // A refunded card frees its identity's slot.
  CHECK(apply_ops(*reg, bind_op(kCardB, "id-1")).ok());
}

TEST_CASE("S6: at most 5 credentials upgraded on behalf of others, unbinding frees a slot") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  std::string ops = bind_op("tu:3105170000000000300", "id-helper");  // the helper's own card
  for (int i = 1; i <= 5; ++i) {
    ops += bind_op("tu:310517000000000030" + std::to_string(i), "id-elder" + std::to_string(i),
                   "card", "id-helper");
  }
  REQUIRE(apply_ops(*reg, ops).ok());
  const std::string sixth = bind_op("tu:3105170000000000306", "id-elder6", "card", "id-helper");
  check_refused(*reg, bind_op(kCardA, "id-x") + sixth,
                "line 2: S6: id-helper already has 5 credentials upgraded on behalf of others "
                "(at most 5); unbind one first");
  REQUIRE(apply_ops(*reg, status_op("unbind", "tu:3105170000000000301") + sixth).ok());
}

TEST_CASE("unbind, report_lost and refund refuse a credential never bound") {
  auto op = GENERATE(as<std::string>{}, "unbind", "report_lost", "refund");
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  check_refused(*reg, bind_op(kCardA, "id-1") + status_op(op, kCardB),
                "line 2: " + op + ": credential tu:***************0102 has never been bound");
}

TEST_CASE("operations are validated field by field, with the line and the field") {
  auto [text, message] = GENERATE(table<std::string, std::string>({
      {R"({"op":"fly"})", "line 1: field op: unknown operation \"fly\""},
      {bind_op("tu:31051700", "id-1"), "line 1: field credential: malformed credential key"},
      {bind_op(kCardA, "id-1", "qr"), "line 1: field media: \"qr\" does not fit"},
      {bind_op("qr:1", "id-1", "card"), "line 1: field media: \"card\" does not fit"},
      {bind_op(kCardA, std::string(65, 'x')), "line 1: field identity: must be 1-64"},
      {bind_op(kCardA, "id-1", "card", "a b"), "line 1: field by: must be 1-64"},
      {R"({"op":"unbind","credential":"tu:3105170000000000101","at":"2022-05-20T09:00:00"})",
       "line 1: field at: malformed time"},
      {R"({"op":"health","identity":"id-1","colour":"blue","popup":false,"as_of":")" + kAt + "\"}",
       "line 1: field colour: \"blue\" is not one of"},
      {R"({"op":"deny","credential":"tu:3105170000000000101","extra":1})",
       "line 1: field extra: unknown field"},
      {R"({"op":"undeny"})", "line 1: field credential: missing"},
  }));
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  check_refused(*reg, text, message);
}

TEST_CASE("records and changes: loadable records, a sequence per operation, deletes logged") {
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  const std::string key = std::string(128, 'a');
  REQUIRE(
      *apply_ops(
          *reg,
          bind_op(kCardA, "id-1") +
              R"({"op":"health","identity":"id-1","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"})"
              "\n"
              R"({"op":"policy","id":"p1","effective_from":"2022-05-23T05:00:00+08:00","health_mode":"enforce","not_upgraded":"deny"})"
              "\n"
              R"({"op":"issuer_key_add","issuer_id":3,"key_id":1,"public_key_hex":"04)" +
              key +
              R"(","valid_from":"2022-05-01T00:00:00+08:00","valid_until":"2023-05-01T00:00:00+08:00"})"
              "\n"
              R"({"op":"deny","credential":"tu:3105170000000000999","note":"fraud"})"
              "\n") == 5);
  REQUIRE(*apply_ops(*reg, R"({"op":"issuer_key_revoke","issuer_id":3,"key_id":1})"
                           "\n"
                           R"({"op":"undeny","credential":"tu:3105170000000000999"})"
                           "\n") == 7);
  std::string records = *reg->records();
  std::istringstream in(records);
  auto parsed = gate::store::parse_records(in);
  REQUIRE(parsed.ok());
  CHECK(parsed->size() == 4);  // policy, issuer key, binding, health; the deny entry is gone
  CHECK(records.find("\"revoked\":true") != std::string::npos);
  CHECK(records.find("tu:3105170000000000999") == std::string::npos);
  std::string changes = *reg->changes(5);
  CHECK(changes.find("\"revoked\":true") != std::string::npos);
  CHECK(has_line(changes,
                 R"({"type":"delete","kind":"deny","credential":"tu:3105170000000000999"})"));
  std::istringstream changes_in(*reg->changes(0));
  auto all = gate::store::parse_records(changes_in);
  REQUIRE(all.ok());
  CHECK(all->size() == 7);
  CHECK(reg->changes(7)->empty());
  check_refused(*reg, R"({"op":"issuer_key_revoke","issuer_id":3,"key_id":1})",
                "line 1: issuer_key_revoke: issuer key 3/1 is revoked");
  check_refused(*reg, R"({"op":"undeny","credential":"tu:3105170000000000999"})",
                "line 1: undeny: credential tu:***************0999 is not on the deny list");
}

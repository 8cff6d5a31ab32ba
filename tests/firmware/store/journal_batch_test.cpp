// The journal upload's wire format (journal_batch.h): batches and replies written out by hand from
// the format's description, rows from a real journal carried through unchanged, and malformed
// text refused with the line at fault.
#include "firmware/store/journal_batch.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <string>

#include "firmware/store/journal.h"
#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Errc;
using gate::Instant;
using gate::store::BatchReply;
using gate::store::ChainProblem;
using gate::store::ChainRow;
using gate::store::encode_batch;
using gate::store::encode_reply;
using gate::store::Journal;
using gate::store::JournalBatch;
using gate::store::parse_batch;
using gate::store::parse_reply;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h;
const std::string kMacA(64, 'a');  // the mac 0xaa…aa as text

ChainRow row(std::uint64_t seq, std::string body, std::uint8_t mac_byte) {
  ChainRow r;
  r.seq = seq;
  r.body = std::move(body);
  r.mac.fill(mac_byte);
  return r;
}

std::string error_of(std::string_view text, std::size_t max_rows = gate::store::kMaxBatchRows) {
  auto parsed = parse_batch(text, max_rows);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == Errc::malformed);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("A batch is a header line and one line per row, as journal_batch.h describes") {
  JournalBatch batch{"L1-S07-G03", 1, {row(7, R"({"seq":"x"})", 0xaa), row(8, "{}", 0x01)}};
  std::string mac_01;  // the mac 0x0101…01 as text
  for (int i = 0; i < 32; ++i) mac_01 += "01";
  const std::string expected =
      "GJB1 L1-S07-G03 1 2\n"
      "7 " +
      kMacA +
      " {\"seq\":\"x\"}\n"
      "8 " +
      mac_01 + " {}\n";
  CHECK(encode_batch(batch) == expected);
  CHECK(batch.id() == "L1-S07-G03:7-8");

  auto parsed = parse_batch(expected);
  REQUIRE(parsed.ok());
  CHECK(parsed->gate == "L1-S07-G03");
  CHECK(parsed->chain_start == 1);
  REQUIRE(parsed->rows.size() == 2);
  CHECK(parsed->rows[0].seq == 7);
  CHECK(parsed->rows[0].body == R"({"seq":"x"})");
  CHECK(parsed->rows[0].mac == batch.rows[0].mac);
  CHECK(parsed->rows[1].mac == batch.rows[1].mac);
  CHECK(parsed->id() == batch.id());
}

TEST_CASE("Rows read from a real journal cross the wire byte for byte") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  append(journal, decision("tu:3105170010170907984", kT0));
  append(journal, event(gate::core::EventKind::staff_confirm, "bj:0123456789abcdef", kT0 + 1s));
  append(journal,
         decision("qr:42", kT0 + 2s, gate::core::Outcome::deny, gate::core::Reason::code_replayed));
  auto rows = journal.read_chain();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);

  JournalBatch batch{"L1-S07-G03", journal.chain_start(), *rows};
  auto parsed = parse_batch(encode_batch(batch));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->rows.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(parsed->rows[i].seq == (*rows)[i].seq);
    CHECK(parsed->rows[i].body == (*rows)[i].body);
    CHECK(parsed->rows[i].mac == (*rows)[i].mac);
  }
  // And they still verify as the chain they are.
  auto anchor = gate::store::chain_start_anchor(test_key(), parsed->chain_start);
  REQUIRE(anchor.ok());
  auto verdict = gate::store::verify_chain(test_key(), *anchor, parsed->rows);
  REQUIRE(verdict.ok());
  CHECK(verdict->problem == ChainProblem::none);
  CHECK(verdict->next.next_seq == 4);
}

TEST_CASE("Parsing keeps rows in the order sent, gaps included, for verify_chain to judge") {
  const std::string text = "GJB1 G1 1 2\n5 " + kMacA + " {}\n3 " + kMacA + " {}\n";
  auto parsed = parse_batch(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->rows[0].seq == 5);
  CHECK(parsed->rows[1].seq == 3);
}

TEST_CASE("A header claiming billions of rows is refused without reserving room for them") {
  // Without a row limit (the collector parses so, to answer 413 itself) the count alone once sized
  // the row vector: a 40-byte request asked for exabytes (found by the collector's fuzz target).
  // 4,000,000,000 is under a 32-bit board's SIZE_MAX too, so the limit does not refuse it first.
  const std::string text = "GJB1 G1 1 4000000000\n1 " + kMacA + " {}\n";
  auto parsed = parse_batch(text, std::numeric_limits<std::size_t>::max());
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message.find("fewer rows than the header says") != std::string::npos);
}

TEST_CASE("Malformed batches are refused with the line at fault") {
  const std::string good_row = "1 " + kMacA + " {}\n";
  CHECK(error_of("") == "journal batch line 1: the text must end with a newline");
  CHECK(error_of("GJB1 G1 1 1\n" + good_row.substr(0, good_row.size() - 1)) ==
        "journal batch line 1: the text must end with a newline");
  CHECK(error_of("GJB2 G1 1 1\n" + good_row) == "journal batch line 1: not a GJB1 batch");
  CHECK(error_of("GJB1 G 1 1 1\n" + good_row) == "journal batch line 1: bad row count");
  CHECK(error_of("GJB1 G/1 1 1\n" + good_row) == "journal batch line 1: bad gate id");
  CHECK(error_of("GJB1 " + std::string(65, 'g') + " 1 1\n" + good_row) ==
        "journal batch line 1: bad gate id");
  CHECK(error_of("GJB1 G1 0 1\n" + good_row) == "journal batch line 1: bad chain start");
  CHECK(error_of("GJB1 G1 1 -1\n" + good_row) == "journal batch line 1: bad row count");
  CHECK(error_of("GJB1 G1 1 0\n") == "journal batch line 1: an empty batch");
  CHECK(error_of("GJB1 G1 1 1\n") == "journal batch line 2: missing rows");
  CHECK(error_of("GJB1 G1 1 3\n" + good_row + good_row + good_row, 2) ==
        "journal batch line 1: 3 rows, more than 2");
  CHECK(error_of("GJB1 G1 1 1\n" + good_row + good_row) ==
        "journal batch line 3: more rows than the header says");
  CHECK(error_of("GJB1 G1 1 2\n" + good_row) ==
        "journal batch line 2: fewer rows than the header says");
  CHECK(error_of("GJB1 G1 1 1\n0 " + kMacA + " {}\n") == "journal batch line 2: bad seq");
  CHECK(error_of("GJB1 G1 1 1\n+1 " + kMacA + " {}\n") == "journal batch line 2: bad seq");
  CHECK(error_of("GJB1 G1 1 1\n18446744073709551616 " + kMacA + " {}\n") ==
        "journal batch line 2: bad seq");
  CHECK(error_of("GJB1 G1 1 1\n1 " + std::string(64, 'A') + " {}\n") ==
        "journal batch line 2: bad mac (64 lowercase hex digits)");
  CHECK(error_of("GJB1 G1 1 1\n1 " + std::string(62, 'a') + " {}\n") ==
        "journal batch line 2: bad mac (64 lowercase hex digits)");
  CHECK(error_of("GJB1 G1 1 1\n1 " + kMacA + " \n") == "journal batch line 2: empty body");
  CHECK(error_of("GJB1 G1 1 1\n1 " + kMacA + "\n") == "journal batch line 2: empty body");
  CHECK(error_of("GJB1 G1 1 1\n1 " + kMacA + " {}\r\n") == "journal batch line 2: carriage return");
}

TEST_CASE("Replies: acknowledged, or refused with the problem and its seq") {
  CHECK(encode_reply(BatchReply{42}) == "GJA1 acked=42\n");
  CHECK(encode_reply(BatchReply{16, ChainProblem::altered, 17}) ==
        "GJA1 acked=16 problem=altered seq=17\n");

  auto ok = parse_reply("GJA1 acked=42\n");
  REQUIRE(ok.ok());
  CHECK(*ok == BatchReply{42});
  for (ChainProblem p : {ChainProblem::gap, ChainProblem::altered, ChainProblem::reordered,
                         ChainProblem::foreign_gate}) {
    BatchReply reply{9, p, 10};
    auto parsed = parse_reply(encode_reply(reply));
    REQUIRE(parsed.ok());
    CHECK(*parsed == reply);
  }
  auto zero = parse_reply("GJA1 acked=0\n");
  REQUIRE(zero.ok());
  CHECK(zero->acked == 0);

  for (const char* bad :
       {"", "GJA1 acked=1", "GJA2 acked=1\n", "GJA1 acked=\n", "GJA1 acked=x\n", "GJA1 ack=1\n",
        "GJA1 acked=1 problem=lost seq=2\n", "GJA1 acked=1 problem=gap\n",
        "GJA1 acked=1 problem=gap seq=0\n", "GJA1 acked=1 problem=gap seq=2 more\n",
        "GJA1 acked=1\nGJA1 acked=2\n", "GJA1 acked=1 seq=2 problem=gap\n"}) {
    INFO(bad);
    auto parsed = parse_reply(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::malformed);
  }
}

#include "firmware/app/config.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

using namespace gate;
using namespace std::chrono_literals;

namespace {
Result<app::Config> parse(const std::string& text, bool require_paths = true) {
  std::istringstream in(text);
  return app::parse_config(in, require_paths);
}
}  // namespace

TEST_CASE("a full config file is read, with defaults for what it leaves out") {
  auto c = parse(
      "# gate G03\n"
      "gate = L1:S07:G03:exit\n"
      "cache = /var/lib/gate/cache.db\n"
      "\n"
      "journal = /var/lib/gate/journal.db   \n"
      "utc_offset = -05:30\n"
      "open_timeout = 7s\n"
      "hold_off = 900ms\n"
      "staff_timeout = 1min\n");
  REQUIRE(c.ok());
  CHECK(c->gate.line == "L1");
  CHECK(c->gate.station == "S07");
  CHECK(c->gate.gate == "G03");
  CHECK(c->gate.direction == core::Direction::exit);
  CHECK(c->gate.utc_offset_minutes == -330);
  CHECK(c->cache_path == "/var/lib/gate/cache.db");
  CHECK(c->journal_path == "/var/lib/gate/journal.db");
  CHECK(c->loop.timings.open_timeout == 7s);
  CHECK(c->loop.timings.staff_timeout == 60s);
  CHECK(c->loop.timings.result_display == 2s);  // issue 2's default
  CHECK(c->loop.hold_off == 900ms);
  CHECK(c->code_skew == 30s);  // ride-code-v1.md's default
}

TEST_CASE("utc_offset set before gate is kept") {
  auto c = parse("utc_offset = +09:00\ngate = L2:S01:G01:entry\ncache = a\njournal = b\n");
  REQUIRE(c.ok());
  CHECK(c->gate.utc_offset_minutes == 540);
}

TEST_CASE("errors name the line and the key") {
  auto unknown = parse("gate = L1:S07:G03:entry\ncolour = blue\n");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "line 2: colour: unknown key");

  auto bad_gate = parse("\n\ngate = L1:S07:entry\n");
  REQUIRE_FALSE(bad_gate.ok());
  CHECK(bad_gate.error().message.rfind("line 3: gate: ", 0) == 0);

  auto bad_duration = parse("open_timeout = fast\n");
  REQUIRE_FALSE(bad_duration.ok());
  CHECK(bad_duration.error().message.rfind("line 1: open_timeout: ", 0) == 0);

  auto no_equals = parse("gate L1:S07:G03:entry\n");
  REQUIRE_FALSE(no_equals.ok());
  CHECK(no_equals.error().message == "line 1: expected `key = value`");
}

TEST_CASE("required keys are checked") {
  auto missing = parse("gate = L1:S07:G03:entry\ncache = c.db\n");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "journal: missing");
  CHECK(parse("gate = L1:S07:G03:entry\n", false).ok());
}

TEST_CASE("durations") {
  CHECK(*app::parse_duration("1500ms") == 1500ms);
  CHECK(*app::parse_duration("5s") == 5s);
  CHECK(*app::parse_duration("2min") == 120s);
  CHECK(*app::parse_duration("1h") == 3600s);
  CHECK(*app::parse_duration("0s") == 0s);
  CHECK(*app::parse_duration("7d") == 168h);
  CHECK(*app::parse_duration("366d") == 366 * 24h);
  for (const char* bad : {"", "5", "s", "-1s", "5 s", "5sec", "1.5s", "169h",
                          "99999999999999999999s", "367d", "1day"}) {
    INFO(bad);
    CHECK_FALSE(app::parse_duration(bad).ok());
  }
}

TEST_CASE("utc offsets") {
  CHECK(*app::parse_utc_offset("+08:00") == 480);
  CHECK(*app::parse_utc_offset("Z") == 0);
  CHECK(*app::parse_utc_offset("-03:30") == -210);
  for (const char* bad : {"+8:00", "08:00", "+08", "+15:00", "+08:60", "UTC"}) {
    INFO(bad);
    CHECK_FALSE(app::parse_utc_offset(bad).ok());
  }
}

TEST_CASE("feed keys: read, with defaults next to the cache") {
  auto c = parse(
      "gate = L1:S07:G03:entry\ncache = /var/lib/gate/cache.db\njournal = j.db\n"
      "feed_url = https://feed.example.net/line1/\n"
      "feed_ca = /etc/gate/feed-ca.pem\n"
      "feed_key = /etc/gate/feed-key.pem\n"
      "feed_client_cert = /etc/gate/gate.crt\nfeed_client_key = /etc/gate/gate.key\n"
      "feed_server_name = feed.example.net\n"
      "feed_interval = 2min\n");
  REQUIRE(c.ok());
  CHECK(c->feed.url == "https://feed.example.net/line1/");
  CHECK(c->feed.ca_file == "/etc/gate/feed-ca.pem");
  CHECK(c->feed.key_file == "/etc/gate/feed-key.pem");
  CHECK(c->feed.client_cert_file == "/etc/gate/gate.crt");
  CHECK(c->feed.client_key_file == "/etc/gate/gate.key");
  CHECK(c->feed.server_name == "feed.example.net");
  CHECK(c->feed.interval == 120s);
  CHECK(app::feed_staging_dir(*c) == "/var/lib/gate/cache.db.feed/");
  CHECK(app::feed_key_state_path(*c) == "/var/lib/gate/cache.db.feed-key");

  auto placed = parse(
      "gate = L1:S07:G03:entry\ncache = c.db\njournal = j.db\n"
      "feed_staging = /data/feed/\nfeed_key_state = /data/feed-key\n");
  REQUIRE(placed.ok());
  CHECK(placed->feed.url.empty());  // no feed_url: no sync thread
  CHECK(placed->feed.interval == 5min);
  CHECK(app::feed_staging_dir(*placed) == "/data/feed/");
  CHECK(app::feed_key_state_path(*placed) == "/data/feed-key");
}

TEST_CASE("feed keys: errors name the line and the key") {
  const std::string head = "gate = L1:S07:G03:entry\ncache = c.db\njournal = j.db\n";
  auto no_ca = parse(head + "feed_url = https://f/\nfeed_key = k.pem\n");
  REQUIRE_FALSE(no_ca.ok());
  CHECK(no_ca.error().message == "line 4: feed_url: needs feed_ca (the server's CA bundle)");

  auto no_key = parse(head + "feed_ca = ca.pem\nfeed_url = https://f/\n");
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.error().message == "line 5: feed_url: needs feed_key (the feed's public key)");

  auto half_mtls = parse(head + "feed_client_cert = c.pem\n");
  REQUIRE_FALSE(half_mtls.ok());
  CHECK(half_mtls.error().message == "line 4: feed_client_cert: needs feed_client_key");

  auto plain_http = parse(head + "feed_url = http://f/\n");
  REQUIRE_FALSE(plain_http.ok());
  CHECK(plain_http.error().message == "line 4: feed_url: expected an https:// URL");

  auto zero = parse(head + "feed_interval = 0s\n");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().message == "line 4: feed_interval: at least 1s");

  auto empty = parse(head + "feed_ca =\n");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "line 4: feed_ca: empty value");

  // A --set after the file (validate_config) names the key without a line.
  auto set = parse("gate = L1:S07:G03:entry\n", false);
  REQUIRE(set.ok());
  REQUIRE(app::set_config_value(*set, "feed_url", "https://f/").ok());
  set->cache_path = "c.db";
  set->journal_path = "j.db";
  auto s = app::validate_config(*set);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "feed_url: needs feed_ca (the server's CA bundle)");
}

TEST_CASE("collector keys: read, with the upload defaults") {
  const std::string head = "gate = L1:S07:G03:entry\ncache = c.db\njournal = j.db\n";
  auto defaults = parse(head);
  REQUIRE(defaults.ok());
  CHECK(defaults->collector.url.empty());  // no collector_url: no upload
  CHECK(defaults->collector.upload_interval == 10s);
  CHECK(defaults->collector.upload_batch == 500);
  CHECK(defaults->collector.upload_backoff_max == 5min);
  CHECK(defaults->collector.journal_retention == 7 * 24h);

  auto c = parse(head +
                 "collector_url = https://collector.example.net/gates/\n"
                 "collector_ca = /etc/gate/collector-ca.pem\n"
                 "collector_server_name = collector.example.net\n"
                 "collector_client_cert = /etc/gate/gate.crt\n"
                 "collector_client_key = /etc/gate/gate.key\n"
                 "upload_interval = 30s\nupload_batch = 2000\nupload_backoff_max = 2min\n"
                 "journal_retention = 30d\n");
  REQUIRE(c.ok());
  CHECK(c->collector.url == "https://collector.example.net/gates/");
  CHECK(c->collector.ca_file == "/etc/gate/collector-ca.pem");
  CHECK(c->collector.server_name == "collector.example.net");
  CHECK(c->collector.client_cert_file == "/etc/gate/gate.crt");
  CHECK(c->collector.client_key_file == "/etc/gate/gate.key");
  CHECK(c->collector.upload_interval == 30s);
  CHECK(c->collector.upload_batch == 2000);
  CHECK(c->collector.upload_backoff_max == 2min);
  CHECK(c->collector.journal_retention == 30 * 24h);
  // The same TLS settings reach the client as the feed's do.
  const auto https = app::https_client_config(c->collector);
  CHECK(https.base_url == c->collector.url);
  CHECK(https.ca_file == c->collector.ca_file);
  CHECK(https.server_name == c->collector.server_name);
  CHECK(https.client_cert_file == c->collector.client_cert_file);
  CHECK(https.client_key_file == c->collector.client_key_file);
}

TEST_CASE("collector keys: errors name the line and the key") {
  const std::string head = "gate = L1:S07:G03:entry\ncache = c.db\njournal = j.db\n";
  auto refused = [&](const std::string& lines) {
    auto c = parse(head + lines);
    REQUIRE_FALSE(c.ok());
    return c.error().message;
  };
  CHECK(refused("collector_url = https://c/gates\n") ==
        "line 4: collector_url: expected an https:// URL ending with '/'");
  CHECK(refused("collector_url = http://c/\n") ==
        "line 4: collector_url: expected an https:// URL ending with '/'");
  CHECK(refused("collector_url = https://c/\n") ==
        "line 4: collector_url: needs collector_ca (the server's CA bundle)");
  CHECK(refused("collector_client_key = k.pem\n") ==
        "line 4: collector_client_key: needs collector_client_cert");
  CHECK(refused("upload_batch = 0\n") ==
        "line 4: upload_batch: expected a row count from 1 to 2000");
  CHECK(refused("upload_batch = 2001\n") ==
        "line 4: upload_batch: expected a row count from 1 to 2000");
  CHECK(refused("upload_batch = 10 rows\n") ==
        "line 4: upload_batch: expected a row count from 1 to 2000");
  CHECK(refused("upload_interval = 0s\n") == "line 4: upload_interval: at least 1s");
  CHECK(refused("upload_backoff_max = 500ms\n") == "line 4: upload_backoff_max: at least 1s");
  CHECK_THAT(refused("journal_retention = 12h\n"),
             Catch::StartsWith("line 4: journal_retention: at least 1d"));
  CHECK(refused("collector_ca =\n") == "line 4: collector_ca: empty value");
}

namespace {
const std::string kHead = "gate = L1:S07:G03:entry\ncache = c.db\njournal = j.db\n";
// 64 hex digits: the bytes 0x00 … 0x1f, split over two lines with spaces, as an editor may leave
// it.
const std::string kSecretHex =
    "00010203 04050607 08090a0b 0c0d0e0f\n10111213 14151617 18191A1B 1C1D1E1F\n";
}  // namespace

TEST_CASE("journal_secret: a file of hex digits, read when the key is set") {
  test::TempDir dir;
  std::string file = dir.file("journal-secret");
  std::ofstream(file) << kSecretHex;
  auto c = parse(kHead + "journal_secret = " + file + "\n");
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c.ok());
  CHECK(c->journal_secret_file == file);
  std::string want;
  for (int i = 0; i < 32; ++i) want += static_cast<char>(i);
  CHECK(c->journal_secret == want);
  CHECK(c->journal_secret == app::simulator_journal_secret());
  // Without the key the file parses (the board's refusal is GateRuntime's and --check-config's).
  auto without = parse(kHead);
  REQUIRE(without.ok());
  CHECK(without->journal_secret.empty());
}

TEST_CASE("journal_secret: unreadable, too short or not hex is refused with its line") {
  test::TempDir dir;
  std::string file = dir.file("journal-secret");
  SECTION("missing file") {
    auto c = parse(kHead + "journal_secret = " + file + "\n");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message == "line 4: journal_secret: cannot read " + file);
  }
  SECTION("31 bytes") {
    std::ofstream(file) << std::string(62, 'a') << "\n";
    auto c = parse(kHead + "journal_secret = " + file + "\n");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message ==
          "line 4: journal_secret: " + file + ": 31 bytes, at least 32 needed (64 hex digits)");
  }
  SECTION("not hex: the content is not repeated in the message") {
    std::ofstream(file) << "correct horse battery staple, which is long enough to be 32 bytes\n";
    auto c = parse(kHead + "journal_secret = " + file + "\n");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message == "line 4: journal_secret: " + file + ": not hex digits");
  }
  SECTION("odd number of digits") {
    std::ofstream(file) << std::string(65, 'b');
    auto c = parse(kHead + "journal_secret = " + file + "\n");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message == "line 4: journal_secret: " + file + ": odd number of hex digits");
  }
}

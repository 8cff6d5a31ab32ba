// Test support for the feed syncer: a feed published with a test key, served by a real nginx over
// TLS (an openssl-made PKI), a cache path, a staging directory, and a log sink that keeps every
// line from every thread.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "firmware/sync/feed_syncer.h"
#include "hal/log.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/https_test_config.h"

namespace feed_site {

using namespace feed_test;

// Every log line of a test, from any thread (hal/log serialises the calls).
class AllLogs {
 public:
  AllLogs() {
    gate::set_log_sink([this](gate::LogLevel, std::string_view tag, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(std::string(tag) + ": " + std::string(message));
    });
  }
  ~AllLogs() { gate::set_log_sink(nullptr); }
  AllLogs(const AllLogs&) = delete;
  AllLogs& operator=(const AllLogs&) = delete;
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(lines_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A wall clock that stands still at the feed's publishing time, for the sync thread.
class StillClock final : public gate::hal::Clock {
 public:
  explicit StillClock(gate::Instant at) : at_(at) {}

 private:
  gate::Instant do_wall_now() const override { return at_; }
  gate::MonoInstant do_mono_now() const override { return gate::MonoInstant{}; }
  gate::Instant at_;
};

// A binding, health record and policy: tu:3105170010170907984 active for id-a, green.
inline const std::string kState =
    R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-a","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"}
{"type":"health","identity":"id-a","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"}
{"type":"policy","id":"p1","effective_from":"2022-05-23T05:00:00+08:00","scope":{"lines":["L1"],"stations":[]},"health_mode":"enforce"}
)";
// The card reported lost.
inline const std::string kDelta =
    R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-a","media":"card","status":"lost","since":"2022-05-18T09:12:00+08:00"}
)";

// kState plus `n` ride-code account bindings: a snapshot of about 27 bytes a binding.
inline std::string big_state(int n) {
  std::string out = kState;
  for (int i = 1; i <= n; ++i) {
    out += R"({"type":"binding","credential":"qr:)" + std::to_string(100000000000 + i) +
           R"(","identity":"id-)" + std::to_string(i) +
           R"(","media":"qr","status":"active","since":"2022-05-18T09:00:00+08:00"})"
           "\n";
  }
  return out;
}

struct Site {
  TestFeed feed;
  gate::test::TempDir dir;
  gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  // Files under /slow/ (the feed directory again, through a symlink) come at 1 MB/s.
  gate::test::NginxServer nginx{dir.path(), pki, feed.path(), "1m"};
  std::string cache = dir.file("cache.db");
  std::string staging = dir.file("staging");
  StillClock clock{feed.now};

  Site() {
    REQUIRE(::symlink(".", feed.dir.file("slow").c_str()) == 0);
    nginx.start();
  }

  // A syncer's configuration for the feed at https://127.0.0.1:PORT/`sub`.
  gate::sync::FeedSyncerConfig config(const std::string& sub = "", std::uint16_t port = 0) const {
    gate::sync::FeedSyncerConfig c;
    // mbedTLS 2.28 matches DNS names only: the name is "localhost".
    c.https = gate::test::local_https_config(
        "https://127.0.0.1:" + std::to_string(port ? port : nginx.port()) + "/" + sub, pki.ca_cert,
        "localhost", std::chrono::seconds(60));
    c.cache_path = cache;
    c.staging_dir = staging;
    c.key_state_path = dir.file("feed-key");
    c.configured_key = feed.pub();
    c.interval = std::chrono::hours(1);
    return c;
  }
  std::unique_ptr<gate::sync::FeedSyncer> syncer(gate::sync::FeedSyncerConfig c) const {
    auto made = gate::sync::FeedSyncer::create(std::move(c), clock);
    INFO((made.ok() ? std::string() : made.error().message));
    REQUIRE(made.ok());
    return std::move(made).value();
  }
  std::vector<char> read(const std::string& name) const {
    std::ifstream in(feed.dir.file(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write(const std::string& name, const std::vector<char>& bytes) const {
    std::ofstream out(feed.dir.file(name), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // The binding status the gate's read-only cache connection finds for `credential`.
  std::string binding_status(const std::string& credential) const {
    auto reader = CacheReader::open(cache);
    REQUIRE(reader.ok());
    gate::core::CacheFacts facts;
    REQUIRE(reader->lookup(credential, facts).ok());
    if (!facts.binding) return "none";
    return std::string(gate::core::binding_status_name(facts.binding->status));
  }
};

}  // namespace feed_site

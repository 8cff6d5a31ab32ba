// gate-sim run --operations FILE [--feed-dir DIR] [--cache NEW_CACHE] <run's flags>: the demo from
// the back office's side. The upgrade operations go through the reference registry
// (sim/backoffice), the registry's state is published as a signed feed (a fresh feed key, a
// snapshot, a manifest made at the scenario's start), and a fresh cache is synced from it before
// the first event, the way a gate does it: over HTTPS from a loopback feed server
// (sim/feed_server) with the gate's own HttpsClient and HttpsFeedSource, or with --feed-dir from
// the directory itself. Then the scenario runs exactly as `run` runs it.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "firmware/feed/feed_sync.h"
#include "firmware/store/iso_time.h"
#include "firmware/sync/https_client.h"
#include "firmware/sync/https_feed_source.h"
#include "sim/backoffice/feed_publisher.h"
#include "sim/backoffice/operation.h"
#include "sim/backoffice/registry.h"
#include "sim/feed_server/feed_server.h"
#include "sim/gate_sim/commands.h"
#include "sim/gate_sim/scratch_dir.h"
#include "sim/scenario/scenario.h"

namespace gate::sim {
namespace {

// As `run` starts without a clock line: the demo's first train, 05:00 Beijing time, 23 May 2022.
constexpr const char* kDefaultStart = "2022-05-23T05:00:00+08:00";
// The published manifest's lifetime: the sync happens at the start, well within it.
constexpr std::chrono::hours kFeedLifetime{1};

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-sim: " << message << "\n";
  return code;
}

// The instant the run starts at: the scenario's leading clock line, else run's default. A scenario
// that cannot be read is left for `run` to report; the default is returned for it.
Instant start_time(const Args& args) {
  Instant start = *store::parse_iso8601(kDefaultStart);
  auto path = args.get("scenario");
  if (!path || args.has("interactive")) return start;
  std::ifstream in(*path);
  auto events = parse_scenario(in);
  if (events.ok() && !events->empty() && events->front().kind == ScenarioEvent::Kind::clock) {
    start = events->front().at;
  }
  return start;
}

struct BackOffice {
  std::size_t operations = 0;
  std::uint64_t sequence = 0;
  std::string synced_from;
};

// Applies the operations to a new registry in `scratch`, publishes its state into `feed_dir` and
// syncs `cache_path` from it (over HTTPS unless `direct`).
Result<BackOffice> publish_and_sync(const std::string& ops_path, const ScratchDir& scratch,
                                    const std::string& feed_dir, bool direct,
                                    const std::string& cache_path, Instant start) {
  BackOffice done;
  std::ifstream in(ops_path);
  if (!in) return make_error(Errc::not_found, "cannot open operations " + ops_path);
  auto ops = backoffice::parse_operations(in);
  if (!ops.ok()) return make_error(ops.error().code, ops_path + ": " + ops.error().message);
  done.operations = ops->size();
  GATE_TRY_ASSIGN(backoffice::Registry registry,
                  backoffice::Registry::open(scratch.file("registry.db")));
  auto applied = registry.apply(*ops);
  if (!applied.ok()) {
    return make_error(applied.error().code, ops_path + ": " + applied.error().message);
  }
  // One read transaction: the sequence published covers exactly the records read.
  GATE_TRY_ASSIGN(backoffice::RegistryRead reading, registry.begin_read());

  GATE_TRY_ASSIGN(CtrDrbg rng, CtrDrbg::from_system_entropy());
  GATE_TRY_ASSIGN(P256KeyPair feed_key, P256KeyPair::generate(rng));
  backoffice::PublishRequest request;
  request.feed_dir = feed_dir;
  request.snapshot = true;
  request.expires_in = kFeedLifetime;
  request.now = start;
  GATE_TRY_ASSIGN(backoffice::Published published,
                  backoffice::publish(request, reading, feed_key, rng));
  done.sequence = published.sequence;

  GATE_TRY_ASSIGN(store::CacheWriter cache, store::CacheWriter::open(cache_path));
  Result<feed::SyncOutcome> synced = make_error(Errc::io_error, "not synced");
  if (direct) {
    feed::DirectoryFeedSource source(feed_dir);
    synced = feed::sync_once(source, cache, feed_key.public_key(), start);
    done.synced_from = "from " + feed_dir;
  } else {
    FeedServerOptions options;
    options.root = feed_dir;
    options.ca_cert_path = scratch.file("feed-ca.pem");
    GATE_TRY_ASSIGN(std::unique_ptr<FeedServer> server, FeedServer::start(options));
    sync::HttpsClientConfig config;
    config.base_url = server->base_url();
    config.ca_file = options.ca_cert_path;
    config.server_name = FeedServer::server_name();
    GATE_TRY_ASSIGN(std::unique_ptr<sync::HttpsClient> client, sync::HttpsClient::create(config));
    std::filesystem::create_directory(scratch.file("staging"));
    sync::HttpsFeedSource source(*client, scratch.file("staging"));
    synced = feed::sync_once(source, cache, feed_key.public_key(), start);
    done.synced_from = "over " + server->base_url();
  }
  if (!synced.ok())
    return make_error(synced.error().code, "sync refused: " + synced.error().message);
  if (synced->sequence_after != done.sequence) {
    return make_error(Errc::io_error, "sync ended at sequence " +
                                          std::to_string(synced->sequence_after) + ", not " +
                                          std::to_string(done.sequence));
  }
  return done;
}

}  // namespace

int cmd_run_backoffice(const Args& args) {
  auto ops_path = args.get("operations");
  if (!ops_path) return fail("run with a back office needs --operations FILE", 2);
  ScratchDir scratch;
  if (scratch.path().empty()) return fail("cannot make a scratch directory");

  std::string feed_dir = scratch.file("feed");
  bool direct = false;
  if (auto dir = args.get("feed-dir")) {
    feed_dir = *dir;
    direct = true;
    if (std::filesystem::exists(feed_dir + "/" + std::string(feed::kManifestName))) {
      return fail("--feed-dir " + feed_dir + " already holds a feed; give a new or empty one", 2);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(feed_dir, ec);
  if (ec) return fail("cannot make " + feed_dir + ": " + ec.message());

  std::string cache_path = scratch.file("cache.db");
  if (auto cache = args.get("cache")) {
    if (std::filesystem::exists(*cache)) {
      return fail("--cache " + *cache + " exists; the back office syncs a new cache", 2);
    }
    cache_path = *cache;
  }

  auto done = publish_and_sync(*ops_path, scratch, feed_dir, direct, cache_path, start_time(args));
  if (!done.ok()) return fail(done.error().message);
  std::cerr << "gate-sim: back office: " << done->operations << " operations, feed sequence "
            << done->sequence << " published and synced " << done->synced_from << "\n";

  Args run_args = args;
  run_args.flags.erase("operations");
  run_args.flags.erase("feed-dir");
  run_args.flags["cache"] = {cache_path};
  return cmd_run(run_args);
}

}  // namespace gate::sim

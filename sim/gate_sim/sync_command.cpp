// gate-sim sync --feed-dir DIR --cache CACHE --feed-key PUB.pem [--now ISO]: one verified sync of
// a cache from a feed directory (firmware/feed), as a gate does it over HTTPS.
#include <chrono>
#include <iostream>

#include "firmware/feed/feed_sync.h"
#include "firmware/store/iso_time.h"
#include "sim/gate_sim/commands.h"
#include "sim/ride_code/p256_key_pair.h"
#include "sim/ride_code/pem_file.h"

namespace gate::sim {

int cmd_sync(const Args& args) {
  auto dir = args.get("feed-dir");
  auto cache_path = args.get("cache");
  auto key_path = args.get("feed-key");
  if (!dir || !cache_path || !key_path) {
    std::cerr << "gate-sim: sync needs --feed-dir DIR --cache CACHE --feed-key PUB.pem\n";
    return 2;
  }
  Instant now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  if (auto at = args.get("now")) {
    auto t = store::parse_iso8601(*at);
    if (!t) {
      std::cerr << "gate-sim: --now needs an ISO 8601 time with an offset\n";
      return 2;
    }
    now = *t;
  }
  auto pem = read_small_file(*key_path);
  auto key = pem.ok() ? public_key_from_pem(*pem) : Result<Sec1Point>(pem.error());
  if (!key.ok()) {
    std::cerr << "gate-sim: " << *key_path << ": " << key.error().message << "\n";
    return 1;
  }
  auto cache = store::CacheWriter::open(*cache_path);
  if (!cache.ok()) {
    std::cerr << "gate-sim: " << cache.error().message << "\n";
    return 1;
  }
  feed::DirectoryFeedSource source(*dir);
  auto r = feed::sync_once(source, *cache, *key, now);
  if (!r.ok()) {
    // A refused file changed nothing, but files applied before it in this sync stay applied.
    auto state = cache->sync_state();
    std::cerr << "gate-sim: sync refused: " << r.error().message << " (cache at sequence "
              << (state.ok() ? state->sequence : 0) << ")\n";
    return 1;
  }
  std::cout << "sequence " << r->sequence_before << " -> " << r->sequence_after
            << (r->snapshot_applied ? ", snapshot" : "") << ", " << r->deltas_applied
            << " deltas\n";
  if (r->new_pinned_key) {
    std::cout << "feed key rotated; pin the new key " << to_hex(*r->new_pinned_key) << "\n";
  }
  return 0;
}

}  // namespace gate::sim

// The gate's verifying feed applier: reads a feed (manifest, snapshot, deltas; feed_file.h) from a
// FeedSource, verifies everything against the pinned feed key and applies it to the cache through
// CacheWriter. No network here: the HTTPS transport is another FeedSource.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/feed/feed_file.h"
#include "firmware/store/cache.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::feed {

inline constexpr std::string_view kManifestName = "manifest.gfd";
inline constexpr std::size_t kMaxManifestSize = 1 << 20;

// Where feed files come from. Files are handed over as local files, so a snapshot of a
// 40-million-credential feed (about 1 GB) never has to fit in memory.
class FeedSource {
 public:
  virtual ~FeedSource() = default;
  // Makes the file `name` (a manifest entry name or kManifestName) available as a local file and
  // returns its path; the file stays there until the next fetch of the same name or forget().
  // Errc::not_found when it does not exist, Errc::malformed when it is longer than `max_size`,
  // Errc::io_error (or the transport's error) otherwise.
  virtual Result<std::string> fetch(std::string_view name, std::uint64_t max_size) = 0;
  // Called when the file `name` failed verification: a source that keeps partial downloads to
  // resume them drops this one, so the next sync fetches it afresh.
  virtual void forget(std::string_view name) { (void)name; }
};

// Files of a local directory (a mirror, a USB stick, a test's publisher output), used in place.
class DirectoryFeedSource final : public FeedSource {
 public:
  explicit DirectoryFeedSource(std::string dir) : dir_(std::move(dir)) {}
  Result<std::string> fetch(std::string_view name, std::uint64_t max_size) override;

 private:
  std::string dir_;
};

struct SyncOutcome {
  std::uint64_t sequence_before = 0;
  std::uint64_t sequence_after = 0;
  bool snapshot_applied = false;
  std::size_t deltas_applied = 0;
  // Set when the manifest rotated the feed key (signed by the pinned one): the caller persists it
  // and pins it from now on.
  std::optional<Sec1Key> new_pinned_key;
};

// One sync: fetches and verifies the manifest (signed by `pinned_key`, or by a new key the pinned
// key introduced), refuses it when expired (now > expires_at) or older than the cache (rollback).
// Then, in two passes over the files the cache needs, each streamed from its local file so memory
// stays bounded whatever its size:
//  1. verification, of every file BEFORE any is applied: size and SHA-256 against the manifest,
//     header (kind, sequence), signature, chain to the predecessor. Records are not decoded here.
//  2. apply: the snapshot (when the cache has no sequence or is not at one of the manifest's files)
//     in one transaction that first empties the cache, then each delta in a transaction of its
//     own, each marking its sequence. Records are decoded strictly as they are written; the file
//     is hashed again and must still be the manifest's before the transaction commits.
// A refusal in pass 1 changes nothing. A record that does not decode in pass 2 (a correctly
// signed file the decoder refuses: only the feed key's holder could make one) or a file changed
// after pass 1 rolls back that file's transaction only: a snapshot or delta applied before it
// stays, since each is a whole sequence of its own, and the sync reports the error. A manifest at
// the cache's sequence only marks the sync. Errors are "FILE: CHECK: detail" (Errc::malformed for
// a verification failure, or the source's / the store's error).
Result<SyncOutcome> sync_once(FeedSource& source, store::CacheWriter& cache,
                              const Sec1Key& pinned_key, Instant now);

}  // namespace gate::feed

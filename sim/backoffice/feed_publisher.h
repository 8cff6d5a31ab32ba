// The reference back office's feed publisher: turns the registry's state and change log into the
// signed files of firmware/feed/feed_file.h in a feed directory that any web server can serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/feed/feed_file.h"
#include "firmware/store/cache.h"
#include "hal/result.h"
#include "sim/backoffice/registry.h"
#include "sim/ride_code/p256_key_pair.h"

namespace gate::backoffice {

// A finished, signed feed file: header, payload, signature. `predecessor` only for deltas.
Result<std::vector<std::uint8_t>> make_feed_file(feed::FileKind kind, std::uint64_t sequence,
                                                 const core::Sha256Digest* predecessor,
                                                 std::span<const std::uint8_t> payload,
                                                 const sim::P256KeyPair& key, sim::CtrDrbg& rng);

// A signed manifest file. With `previous_key`, the manifest rotates the feed key: it carries
// `key`'s public key signed by `previous_key` (and is itself signed by `key`).
Result<std::vector<std::uint8_t>> make_manifest_file(feed::Manifest manifest,
                                                     const sim::P256KeyPair& key,
                                                     const sim::P256KeyPair* previous_key,
                                                     sim::CtrDrbg& rng);

// Writes `bytes` to `dir`/`name` durably and atomically: a temporary file, fsync, rename, fsync
// of the directory. A reader sees the old file or the whole new one.
Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::span<const std::uint8_t> bytes);

// The manifest currently in `dir`, unverified (the publisher trusts its own directory);
// Errc::not_found when there is none.
Result<feed::Manifest> read_published_manifest(const std::string& dir);

struct PublishRequest {
  std::string feed_dir;
  bool snapshot = false;  // a full snapshot even when a delta would do
  std::chrono::seconds expires_in{3600};
  Instant now{};
  const sim::P256KeyPair* previous_key = nullptr;  // set to rotate from it to the signing key
};

struct Published {
  std::uint64_t sequence = 0;
  std::string file;  // the snapshot or delta written; empty when only the manifest was renewed
};

// Publishes `source`'s state at source.sequence(): all its records as a snapshot when asked or
// when there is no feed yet, else its changes after the manifest's latest sequence as a delta
// chained to the latest file. A source at the manifest's sequence only renews the manifest. The
// data file is streamed (read, encoded, hashed and written record by record, then signed, fsynced
// and renamed into place) before the manifest is replaced the same way; memory stays bounded
// whatever the record count. Give it a RegistryRead so that sequence and records are one state.
Result<Published> publish(const PublishRequest& request, RecordSource& source,
                          const sim::P256KeyPair& key, sim::CtrDrbg& rng);

// The same from a state given as text: `records_jsonl` (the full state at `registry_sequence`)
// and `changes_jsonl` (the changes after the published manifest's latest sequence).
Result<Published> publish(const PublishRequest& request, std::uint64_t registry_sequence,
                          const std::string& records_jsonl, const std::string& changes_jsonl,
                          const sim::P256KeyPair& key, sim::CtrDrbg& rng);

}  // namespace gate::backoffice

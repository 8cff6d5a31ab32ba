// sync_once: verify everything first, then apply. Verification failures are all Errc::malformed
// with the file and the check named, so a log line says what an operator must look at.
#include "firmware/feed/feed_sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "firmware/feed/feed_file_reader.h"
#include "firmware/feed/feed_format.h"
#include "firmware/feed/record_decoder.h"

namespace gate::feed {
namespace {

Error refused(std::string_view file, std::string_view check, std::string_view detail = {}) {
  std::string m = std::string(file) + ": " + std::string(check);
  if (!detail.empty()) m += ": " + std::string(detail);
  return make_error(Errc::malformed, std::move(m));
}

Error with_file(std::string_view file, const Error& e) {
  return make_error(e.code, std::string(file) + ": " + e.message);
}

// The keys a file may be signed with: the manifest's effective key and the pinned one.
struct Keys {
  core::P256Curve curve;
  std::vector<core::P256PublicKey> keys;
  bool verify(const FeedFile& f) {
    for (const auto& k : keys) {
      if (signed_by(curve, f, k)) return true;
    }
    return false;
  }
  bool verify(const core::Sha256Digest& digest, const Signature& signature) {
    for (const auto& k : keys) {
      if (signed_by(curve, digest, signature, k)) return true;
    }
    return false;
  }
};

// The whole of a local file of at most `max_size` bytes (the manifest only: data files stream).
Result<std::vector<std::uint8_t>> read_local(const std::string& path, std::uint64_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Errc code = errno == ENOENT ? Errc::not_found : Errc::io_error;
    return make_error(code, "cannot open (" + std::string(std::strerror(errno)) + ")");
  }
  std::vector<std::uint8_t> out;
  std::uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return make_error(Errc::io_error, "read failed (" + std::string(std::strerror(err)) + ")");
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    if (out.size() > max_size) {
      ::close(fd);
      return make_error(Errc::malformed, "size: longer than " + std::to_string(max_size));
    }
  }
  ::close(fd);
  return out;
}

// A fetched file's bytes: fetch, then read.
Result<std::vector<std::uint8_t>> fetch_bytes(FeedSource& source, const std::string& name,
                                              std::uint64_t max_size) {
  auto path = source.fetch(name, max_size);
  if (!path.ok()) return path.error();
  return read_local(*path, max_size);
}

// A data file that passed every check, kept open: the apply pass reads this same file again.
struct Verified {
  ManifestEntry entry;
  FileHeader header;
  FeedFileReader reader;
};

// Reads exactly out.size() bytes (fewer only at the end of the file).
Result<std::size_t> read_full(FeedFileReader& reader, std::span<std::uint8_t> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    GATE_TRY_ASSIGN(std::size_t n, reader.read(out.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

// The verification pass: one streamed read of the file gives its SHA-256, the digest its signature
// covers, and its header; nothing is decoded or kept but the open file.
Result<Verified> fetch_and_check(FeedSource& source, Keys& keys, const ManifestEntry& entry,
                                 FileKind kind, const core::Sha256Digest* predecessor) {
  const std::string& name = entry.name;
  auto path = source.fetch(name, entry.size);
  if (!path.ok()) return with_file(name, path.error());
  auto reader = FeedFileReader::open(*path);
  if (!reader.ok()) return with_file(name, reader.error());
  if (reader->size() != entry.size) {
    return refused(name, "size",
                   "manifest says " + std::to_string(entry.size) + " bytes, got " +
                       std::to_string(reader->size()));
  }
  std::array<std::uint8_t, kMaxHeaderSize> head{};
  auto head_size = read_full(*reader, head);
  if (!head_size.ok()) return with_file(name, head_size.error());
  if (Status s = reader->read_to_end(); !s.ok()) return with_file(name, s.error());
  auto digests = reader->digests();
  if (!digests.ok()) return with_file(name, digests.error());
  if (digests->whole != entry.sha256) return refused(name, "sha256", "not the manifest's");
  auto header = parse_header(std::span(head).first(*head_size), reader->size());
  if (!header.ok()) return refused(name, "format", header.error().message);
  if (header->kind != kind) return refused(name, "kind", "not the file kind the manifest names");
  if (!keys.verify(digests->signed_part, digests->signature)) {
    return refused(name, "signature", "not signed by the feed key");
  }
  if (header->sequence != entry.sequence) return refused(name, "sequence", "not the manifest's");
  if (predecessor && header->predecessor != *predecessor) {
    return refused(name, "chain", "does not follow its predecessor");
  }
  return Verified{entry, *header, std::move(*reader)};
}

// fetch_and_check, telling the source to drop a file that failed verification.
Result<Verified> fetch_verified(FeedSource& source, Keys& keys, const ManifestEntry& entry,
                                FileKind kind, const core::Sha256Digest* predecessor) {
  auto r = fetch_and_check(source, keys, entry, kind, predecessor);
  if (!r.ok() && r.error().code == Errc::malformed) source.forget(entry.name);
  return r;
}

// The apply pass over a verified file: its records decoded one at a time straight into `update`
// (one transaction). The file is hashed again on the way and the transaction commits only if it
// is still the manifest's, so what lands in the cache is exactly what was verified.
Status apply_records(Verified& file, store::CacheUpdate& update) {
  const std::string& name = file.entry.name;
  FeedFileReader& reader = file.reader;
  reader.rewind();
  std::array<std::uint8_t, kMaxHeaderSize> head{};
  GATE_TRY_ASSIGN(std::size_t skipped,
                  read_full(reader, std::span(head).first(file.header.header_size)));
  if (skipped != file.header.header_size) return refused(name, "size", "changed since verified");
  RecordDecoder decoder(reader, file.header.payload_size);
  const bool snapshot = file.header.kind == FileKind::snapshot;
  store::CacheChange change;
  for (;;) {
    auto more = decoder.next(change);
    if (!more.ok()) {
      if (more.error().code == Errc::malformed)
        return refused(name, "records", more.error().message);
      return with_file(name, more.error());
    }
    if (!*more) break;
    if (snapshot && std::holds_alternative<store::Deletion>(change)) {
      return refused(name, "records", "a snapshot holds a delete");
    }
    if (Status s = update.add(change); !s.ok()) return with_file(name, s.error());
  }
  if (Status s = reader.read_to_end(); !s.ok()) return with_file(name, s.error());
  auto digests = reader.digests();
  if (!digests.ok()) return with_file(name, digests.error());
  if (digests->whole != file.entry.sha256) {
    return refused(name, "sha256", "the file changed after it was verified");
  }
  if (Status s = update.commit(); !s.ok()) return with_file(name, s.error());
  return ok_status();
}

// apply_records in a transaction of its own (a snapshot's empties the cache first); on a
// verification failure the source drops the file.
Status apply_file(FeedSource& source, store::CacheWriter& cache, Verified& file, Instant now) {
  auto update = file.header.kind == FileKind::snapshot
                    ? cache.begin_replace(now, file.entry.sequence)
                    : cache.begin_apply(now, file.entry.sequence);
  if (!update.ok()) return with_file(file.entry.name, update.error());
  Status s = apply_records(file, *update);
  if (!s.ok() && s.error().code == Errc::malformed) source.forget(file.entry.name);
  return s;  // `update` rolls back unless it committed
}

Result<Manifest> fetch_manifest(FeedSource& source, Keys& keys, const Sec1Key& pinned,
                                std::optional<Sec1Key>& new_key) {
  const std::string name(kManifestName);
  auto bytes = fetch_bytes(source, name, kMaxManifestSize);
  if (!bytes.ok()) return with_file(name, bytes.error());
  auto file = parse_container(*bytes);
  if (!file.ok()) return refused(name, "format", file.error().message);
  if (file->kind != FileKind::manifest) return refused(name, "kind", "not a manifest");
  auto manifest = decode_manifest(file->payload);
  if (!manifest.ok()) return refused(name, "format", manifest.error().message);
  if (manifest->latest_sequence != file->sequence) {
    return refused(name, "sequence", "header and manifest disagree");
  }
  auto pinned_key = keys.curve.parse_public_key(pinned);
  if (!pinned_key.ok()) return refused(name, "pinned key", pinned_key.error().message);
  if (manifest->rotation && manifest->rotation->new_key != pinned) {
    const KeyRotation& rot = *manifest->rotation;
    auto message = rotation_message(rot.new_key);
    auto digest = core::sha256(message);
    if (!digest || !keys.curve.verify(*pinned_key, *digest, rot.signature)) {
      return refused(name, "key rotation", "new key not signed by the pinned key");
    }
    auto next = keys.curve.parse_public_key(rot.new_key);
    if (!next.ok()) return refused(name, "key rotation", next.error().message);
    keys.keys.push_back(std::move(*next));
    new_key = rot.new_key;
  }
  keys.keys.push_back(std::move(*pinned_key));
  if (!keys.verify(*file)) return refused(name, "signature", "not signed by the feed key");
  return std::move(*manifest);
}

}  // namespace

Result<std::string> DirectoryFeedSource::fetch(std::string_view name, std::uint64_t max_size) {
  std::string path = dir_ + "/" + std::string(name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Errc code = errno == ENOENT ? Errc::not_found : Errc::io_error;
    return make_error(code, "missing file (" + std::string(std::strerror(errno)) + ")");
  }
  if (!S_ISREG(st.st_mode)) return make_error(Errc::io_error, "not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_size) {
    return make_error(Errc::malformed, "size: longer than " + std::to_string(max_size));
  }
  return path;
}

Result<SyncOutcome> sync_once(FeedSource& source, store::CacheWriter& cache,
                              const Sec1Key& pinned_key, Instant now) {
  SyncOutcome outcome;
  GATE_TRY_ASSIGN(store::SyncState state, cache.sync_state());
  outcome.sequence_before = outcome.sequence_after = state.sequence;
  Keys keys;
  GATE_TRY_ASSIGN(Manifest manifest,
                  fetch_manifest(source, keys, pinned_key, outcome.new_pinned_key));
  const std::string name(kManifestName);
  if (now > manifest.expires_at) return refused(name, "expiry", "the feed has expired");
  if (manifest.latest_sequence < state.sequence) {
    return refused(name, "rollback",
                   "sequence " + std::to_string(manifest.latest_sequence) +
                       " is older than the cache's " + std::to_string(state.sequence));
  }
  if (manifest.latest_sequence == state.sequence) {
    GATE_TRY(cache.mark_synced(now, state.sequence));
    return outcome;
  }

  // Where the cache stands in this manifest: at the snapshot, at one of the deltas, or nowhere
  // (never fed, too far behind, or on a sequence this feed never had): then the snapshot.
  std::optional<Verified> snapshot;
  std::size_t first_delta = 0;
  const core::Sha256Digest* predecessor = nullptr;
  if (state.sequence != 0 && state.sequence == manifest.snapshot.sequence) {
    predecessor = &manifest.snapshot.sha256;
  } else {
    auto at = std::find_if(manifest.deltas.begin(), manifest.deltas.end(),
                           [&](const ManifestEntry& e) { return e.sequence == state.sequence; });
    if (state.sequence != 0 && at != manifest.deltas.end()) {
      predecessor = &at->sha256;
      first_delta = static_cast<std::size_t>(at - manifest.deltas.begin()) + 1;
    } else {
      GATE_TRY_ASSIGN(snapshot,
                      fetch_verified(source, keys, manifest.snapshot, FileKind::snapshot, nullptr));
      predecessor = &manifest.snapshot.sha256;
    }
  }
  std::vector<Verified> deltas;
  for (std::size_t i = first_delta; i < manifest.deltas.size(); ++i) {
    GATE_TRY_ASSIGN(Verified d,
                    fetch_verified(source, keys, manifest.deltas[i], FileKind::delta, predecessor));
    deltas.push_back(std::move(d));
    predecessor = &manifest.deltas[i].sha256;
  }

  if (snapshot) {
    GATE_TRY(apply_file(source, cache, *snapshot, now));
    outcome.snapshot_applied = true;
    outcome.sequence_after = snapshot->entry.sequence;
  }
  for (Verified& d : deltas) {
    GATE_TRY(apply_file(source, cache, d, now));
    ++outcome.deltas_applied;
    outcome.sequence_after = d.entry.sequence;
  }
  return outcome;
}

}  // namespace gate::feed

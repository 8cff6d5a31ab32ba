#include "sim/backoffice/feed_publisher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "firmware/feed/feed_format.h"
#include "firmware/feed/feed_sync.h"
#include "firmware/store/record_loader.h"

namespace gate::backoffice {
namespace {

Error io(const std::string& what) {
  return make_error(Errc::io_error, what + ": " + std::strerror(errno));
}

Result<std::vector<std::uint8_t>> read_all(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::not_found, path + ": no such file");
    return io(path);
  }
  std::vector<std::uint8_t> out;
  std::uint8_t buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  ::close(fd);
  if (n < 0) return io(path);
  return out;
}

Result<std::vector<store::CacheChange>> parse_jsonl(const std::string& text) {
  std::istringstream in(text);
  return store::parse_records(in);
}

std::string file_name(feed::FileKind kind, std::uint64_t seq) {
  return (kind == feed::FileKind::snapshot ? "snapshot-" : "delta-") + std::to_string(seq) + ".gfd";
}

}  // namespace

Result<std::vector<std::uint8_t>> make_feed_file(feed::FileKind kind, std::uint64_t sequence,
                                                 const core::Sha256Digest* predecessor,
                                                 std::span<const std::uint8_t> payload,
                                                 const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  std::vector<std::uint8_t> file = feed::container_head(kind, sequence, predecessor, payload);
  GATE_TRY_ASSIGN(sim::RawSignature sig, key.sign(file, rng));
  file.insert(file.end(), sig.begin(), sig.end());
  return file;
}

Result<std::vector<std::uint8_t>> make_manifest_file(feed::Manifest manifest,
                                                     const sim::P256KeyPair& key,
                                                     const sim::P256KeyPair* previous_key,
                                                     sim::CtrDrbg& rng) {
  if (previous_key) {
    feed::KeyRotation rot;
    rot.new_key = key.public_key();
    GATE_TRY_ASSIGN(rot.signature, previous_key->sign(feed::rotation_message(rot.new_key), rng));
    manifest.rotation = rot;
  }
  return make_feed_file(feed::FileKind::manifest, manifest.latest_sequence, nullptr,
                        feed::encode_manifest(manifest), key, rng);
}

Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::span<const std::uint8_t> bytes) {
  std::string tmp = dir + "/." + name + ".tmp";
  std::string path = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io(tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = io(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = io(tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = io(path);
    ::unlink(tmp.c_str());
    return e;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io(dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io(dir);
  return ok_status();
}

Result<feed::Manifest> read_published_manifest(const std::string& dir) {
  GATE_TRY_ASSIGN(std::vector<std::uint8_t> bytes,
                  read_all(dir + "/" + std::string(feed::kManifestName)));
  GATE_TRY_ASSIGN(feed::FeedFile file, feed::parse_container(bytes));
  return feed::decode_manifest(file.payload);
}

Result<Published> publish(const PublishRequest& req, std::uint64_t registry_sequence,
                          const std::string& records_jsonl, const std::string& changes_jsonl,
                          const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  Result<feed::Manifest> current = read_published_manifest(req.feed_dir);
  if (!current.ok() && current.error().code != Errc::not_found) return current.error();
  if (current.ok() && registry_sequence < current->latest_sequence) {
    return make_error(Errc::invalid_argument,
                      "the registry is behind the published feed (sequence " +
                          std::to_string(registry_sequence) + " < " +
                          std::to_string(current->latest_sequence) + ")");
  }
  feed::Manifest manifest;
  Published published{registry_sequence, {}};
  bool snapshot = req.snapshot || !current.ok();
  if (snapshot) {
    GATE_TRY_ASSIGN(auto changes, parse_jsonl(records_jsonl));
    GATE_TRY_ASSIGN(auto payload, feed::encode_records(changes));
    GATE_TRY_ASSIGN(auto file, make_feed_file(feed::FileKind::snapshot, registry_sequence, nullptr,
                                              payload, key, rng));
    published.file = file_name(feed::FileKind::snapshot, registry_sequence);
    GATE_TRY(write_file_atomically(req.feed_dir, published.file, file));
    manifest.snapshot = {registry_sequence, published.file, file.size(), *core::sha256(file)};
  } else {
    manifest = std::move(*current);
    manifest.rotation.reset();
    if (registry_sequence > manifest.latest_sequence) {
      const feed::ManifestEntry& last =
          manifest.deltas.empty() ? manifest.snapshot : manifest.deltas.back();
      GATE_TRY_ASSIGN(auto changes, parse_jsonl(changes_jsonl));
      GATE_TRY_ASSIGN(auto payload, feed::encode_records(changes));
      GATE_TRY_ASSIGN(auto file, make_feed_file(feed::FileKind::delta, registry_sequence,
                                                &last.sha256, payload, key, rng));
      published.file = file_name(feed::FileKind::delta, registry_sequence);
      GATE_TRY(write_file_atomically(req.feed_dir, published.file, file));
      manifest.deltas.push_back(
          {registry_sequence, published.file, file.size(), *core::sha256(file)});
    }
  }
  manifest.latest_sequence = registry_sequence;
  manifest.made_at = req.now;
  manifest.expires_at = req.now + req.expires_in;
  GATE_TRY_ASSIGN(auto bytes, make_manifest_file(manifest, key, req.previous_key, rng));
  GATE_TRY(write_file_atomically(req.feed_dir, std::string(feed::kManifestName), bytes));
  return published;
}

}  // namespace gate::backoffice

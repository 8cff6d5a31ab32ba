#include "sim/backoffice/feed_publisher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "firmware/feed/feed_format.h"
#include "firmware/feed/feed_sync.h"
#include "firmware/store/record_loader.h"
#include "sim/backoffice/feed_file_writer.h"

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

std::string file_name(feed::FileKind kind, std::uint64_t seq) {
  return (kind == feed::FileKind::snapshot ? "snapshot-" : "delta-") + std::to_string(seq) + ".gfd";
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Calls `each` with every non-blank line of `text`.
Status each_line(std::string_view text, const LineFn& each) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!blank(line)) GATE_TRY(each(line));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return ok_status();
}

std::uint64_t line_count(std::string_view text) {
  std::uint64_t n = 0;
  (void)each_line(text, [&n](std::string_view) {
    ++n;
    return ok_status();
  });
  return n;
}

// A state given as JSON Lines text (the changes already those after the published sequence).
class JsonlSource final : public RecordSource {
 public:
  JsonlSource(std::uint64_t sequence, const std::string& records, const std::string& changes)
      : sequence_(sequence), records_(records), changes_(changes) {}
  std::uint64_t sequence() const override { return sequence_; }
  Result<std::uint64_t> record_count() override { return line_count(records_); }
  Status each_record(const LineFn& each) override { return each_line(records_, each); }
  Result<std::uint64_t> change_count(std::uint64_t) override { return line_count(changes_); }
  Status each_change(std::uint64_t, const LineFn& each) override {
    return each_line(changes_, each);
  }

 private:
  std::uint64_t sequence_;
  const std::string& records_;
  const std::string& changes_;
};

// Streams `count` lines from `lines` into a signed data file `name`: header, varint count, each
// line parsed and encoded, flushed to the writer in pieces of about 64 KiB; then the signature.
Result<feed::ManifestEntry> write_data_file(const std::string& dir, feed::FileKind kind,
                                            std::uint64_t sequence,
                                            const core::Sha256Digest* predecessor,
                                            std::uint64_t count,
                                            const std::function<Status(const LineFn&)>& lines,
                                            const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  const std::string name = file_name(kind, sequence);
  GATE_TRY_ASSIGN(FeedFileWriter out, FeedFileWriter::create(dir, name));
  GATE_TRY(out.write(feed::container_head(kind, sequence, predecessor, {})));
  feed::ByteWriter w;
  w.varint(count);
  std::uint64_t n = 0;
  GATE_TRY(lines([&](std::string_view line) -> Status {
    if (blank(line)) return ok_status();
    ++n;
    GATE_TRY_ASSIGN(store::CacheChange change, store::parse_record_line(line, n));
    Status s = feed::encode_record(w, change);
    if (!s.ok()) {
      return make_error(s.error().code,
                        "record " + std::to_string(n - 1) + ": " + s.error().message);
    }
    if (w.out().size() >= (1u << 16)) {
      GATE_TRY(out.write(w.out()));
      w.out().clear();
    }
    return ok_status();
  }));
  if (n != count) {
    return make_error(Errc::storage_error, "the registry gave " + std::to_string(n) +
                                               " records after counting " + std::to_string(count));
  }
  GATE_TRY(out.write(w.out()));
  GATE_TRY(out.sign(key, rng));
  GATE_TRY_ASSIGN(FeedFileWriter::Committed done, out.commit());
  return feed::ManifestEntry{sequence, name, done.size, done.sha256};
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
  GATE_TRY_ASSIGN(FeedFileWriter out, FeedFileWriter::create(dir, name));
  GATE_TRY(out.write(bytes));
  return out.commit().status();
}

Result<feed::Manifest> read_published_manifest(const std::string& dir) {
  GATE_TRY_ASSIGN(std::vector<std::uint8_t> bytes,
                  read_all(dir + "/" + std::string(feed::kManifestName)));
  GATE_TRY_ASSIGN(feed::FeedFile file, feed::parse_container(bytes));
  return feed::decode_manifest(file.payload);
}

Result<Published> publish(const PublishRequest& req, RecordSource& source,
                          const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  const std::uint64_t registry_sequence = source.sequence();
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
    GATE_TRY_ASSIGN(std::uint64_t count, source.record_count());
    GATE_TRY_ASSIGN(
        manifest.snapshot,
        write_data_file(
            req.feed_dir, feed::FileKind::snapshot, registry_sequence, nullptr, count,
            [&source](const LineFn& each) { return source.each_record(each); }, key, rng));
    published.file = manifest.snapshot.name;
  } else {
    manifest = std::move(*current);
    manifest.rotation.reset();
    if (registry_sequence > manifest.latest_sequence) {
      const std::uint64_t since = manifest.latest_sequence;
      const feed::ManifestEntry& last =
          manifest.deltas.empty() ? manifest.snapshot : manifest.deltas.back();
      GATE_TRY_ASSIGN(std::uint64_t count, source.change_count(since));
      GATE_TRY_ASSIGN(
          feed::ManifestEntry entry,
          write_data_file(
              req.feed_dir, feed::FileKind::delta, registry_sequence, &last.sha256, count,
              [&source, since](const LineFn& each) { return source.each_change(since, each); }, key,
              rng));
      published.file = entry.name;
      manifest.deltas.push_back(std::move(entry));
    }
  }
  manifest.latest_sequence = registry_sequence;
  manifest.made_at = req.now;
  manifest.expires_at = req.now + req.expires_in;
  GATE_TRY_ASSIGN(auto bytes, make_manifest_file(manifest, key, req.previous_key, rng));
  GATE_TRY(write_file_atomically(req.feed_dir, std::string(feed::kManifestName), bytes));
  return published;
}

Result<Published> publish(const PublishRequest& req, std::uint64_t registry_sequence,
                          const std::string& records_jsonl, const std::string& changes_jsonl,
                          const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  JsonlSource source(registry_sequence, records_jsonl, changes_jsonl);
  return publish(req, source, key, rng);
}

}  // namespace gate::backoffice

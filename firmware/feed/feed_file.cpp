#include "firmware/feed/feed_file.h"

#include <algorithm>
#include <string_view>

#include "firmware/feed/byte_io.h"

namespace gate::feed {
namespace {

constexpr std::uint8_t kMagic[4] = {'G', 'F', 'D', '1'};
constexpr std::size_t kMaxName = 128;

Error malformed(std::string what) {
  return make_error(Errc::malformed, std::move(what));
}

bool valid_name(std::string_view n) {
  return !n.empty() && n.front() != '.' && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

void put_entry(ByteWriter& w, const ManifestEntry& e) {
  w.varint(e.sequence);
  w.str(e.name);
  w.varint(e.size);
  w.bytes(e.sha256);
}

std::optional<ManifestEntry> get_entry(ByteReader& r) {
  ManifestEntry e;
  auto seq = r.varint();
  auto name = seq ? r.str(kMaxName) : std::nullopt;
  auto size = name ? r.varint() : std::nullopt;
  auto sha = size ? r.bytes(32) : std::nullopt;
  if (!sha || !valid_name(*name)) return std::nullopt;
  e.sequence = *seq;
  e.name = std::move(*name);
  e.size = *size;
  std::copy(sha->begin(), sha->end(), e.sha256.begin());
  return e;
}

}  // namespace

std::vector<std::uint8_t> container_head(FileKind kind, std::uint64_t sequence,
                                         const core::Sha256Digest* predecessor,
                                         std::span<const std::uint8_t> payload) {
  ByteWriter w;
  w.bytes(kMagic);
  w.byte(static_cast<std::uint8_t>(kind));
  w.byte(kFormatVersion);
  w.big_endian(sequence, 8);
  if (kind == FileKind::delta && predecessor) w.bytes(*predecessor);
  w.bytes(payload);
  return std::move(w.out());
}

Result<FileHeader> parse_header(std::span<const std::uint8_t> head, std::uint64_t file_size) {
  ByteReader r(head);
  auto magic = r.bytes(4);
  if (!magic || !std::equal(magic->begin(), magic->end(), kMagic)) {
    return malformed("not a feed file (bad magic)");
  }
  auto kind = r.byte();
  if (!kind || *kind < 1 || *kind > 3) return malformed("unknown file kind");
  auto version = r.byte();
  if (!version || *version != kFormatVersion) return malformed("unsupported format version");
  FileHeader h;
  h.kind = static_cast<FileKind>(*kind);
  auto seq = r.big_endian(8);
  if (!seq) return malformed("truncated header");
  h.sequence = *seq;
  if (h.kind == FileKind::delta) {
    auto pred = r.bytes(32);
    if (!pred) return malformed("truncated header");
    std::copy(pred->begin(), pred->end(), h.predecessor.begin());
  }
  h.header_size = r.position();
  if (file_size < h.header_size + sizeof(Signature)) return malformed("truncated (no signature)");
  h.payload_size = file_size - h.header_size - sizeof(Signature);
  return h;
}

Result<FeedFile> parse_container(std::span<const std::uint8_t> bytes) {
  GATE_TRY_ASSIGN(FileHeader h, parse_header(bytes, bytes.size()));
  FeedFile f;
  f.kind = h.kind;
  f.sequence = h.sequence;
  f.predecessor = h.predecessor;
  std::size_t body_end = bytes.size() - f.signature.size();
  f.payload = bytes.subspan(h.header_size, body_end - h.header_size);
  f.signed_part = bytes.first(body_end);
  std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(body_end), bytes.end(),
            f.signature.begin());
  return f;
}

bool signed_by(core::P256Curve& curve, const FeedFile& file, const core::P256PublicKey& key) {
  auto digest = core::sha256(file.signed_part);
  return digest && curve.verify(key, *digest, file.signature);
}

bool signed_by(core::P256Curve& curve, const core::Sha256Digest& digest, const Signature& signature,
               const core::P256PublicKey& key) {
  return curve.verify(key, digest, signature);
}

std::vector<std::uint8_t> rotation_message(const Sec1Key& new_key) {
  constexpr std::string_view kLabel = "GFD1 rotate";
  ByteWriter w;
  for (char c : kLabel) w.byte(static_cast<std::uint8_t>(c));
  w.bytes(new_key);
  return std::move(w.out());
}

std::vector<std::uint8_t> encode_manifest(const Manifest& m) {
  ByteWriter w;
  w.varint(m.latest_sequence);
  w.svarint(m.made_at.time_since_epoch().count());
  w.svarint(m.expires_at.time_since_epoch().count());
  put_entry(w, m.snapshot);
  w.varint(m.deltas.size());
  for (const auto& d : m.deltas) put_entry(w, d);
  w.byte(m.rotation ? 1 : 0);
  if (m.rotation) {
    w.bytes(m.rotation->new_key);
    w.bytes(m.rotation->signature);
  }
  return std::move(w.out());
}

Result<Manifest> decode_manifest(std::span<const std::uint8_t> payload) {
  ByteReader r(payload);
  Manifest m;
  auto latest = r.varint();
  auto made = latest ? r.svarint() : std::nullopt;
  auto expires = made ? r.svarint() : std::nullopt;
  if (!expires) return malformed("manifest: truncated header");
  m.latest_sequence = *latest;
  m.made_at = Instant(std::chrono::microseconds(*made));
  m.expires_at = Instant(std::chrono::microseconds(*expires));
  auto snapshot = get_entry(r);
  if (!snapshot) return malformed("manifest: malformed snapshot entry");
  m.snapshot = std::move(*snapshot);
  auto n = r.varint();
  if (!n || *n > r.remaining() / 35) return malformed("manifest: bad delta count");
  std::uint64_t last = m.snapshot.sequence;
  for (std::uint64_t i = 0; i < *n; ++i) {
    auto e = get_entry(r);
    if (!e) return malformed("manifest: malformed delta entry " + std::to_string(i));
    if (e->sequence <= last) return malformed("manifest: deltas out of sequence order");
    last = e->sequence;
    m.deltas.push_back(std::move(*e));
  }
  if (last != m.latest_sequence) {
    return malformed("manifest: latest sequence is not the last file's");
  }
  auto has_rotation = r.byte();
  if (!has_rotation || *has_rotation > 1) return malformed("manifest: bad rotation flag");
  if (*has_rotation) {
    auto key = r.bytes(65);
    auto sig = key ? r.bytes(64) : std::nullopt;
    if (!sig) return malformed("manifest: truncated key rotation");
    KeyRotation rot;
    std::copy(key->begin(), key->end(), rot.new_key.begin());
    std::copy(sig->begin(), sig->end(), rot.signature.begin());
    m.rotation = rot;
  }
  if (r.remaining() != 0) return malformed("manifest: trailing bytes");
  return m;
}

}  // namespace gate::feed

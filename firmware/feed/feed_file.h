// Signed feed files and the manifest (firmware/feed/README.md). Every file is a container:
//   magic "GFD1" (4 bytes), byte kind (1 snapshot, 2 delta, 3 manifest), byte version (1),
//   8 bytes sequence big-endian, [delta only: 32 bytes SHA-256 of the predecessor file],
//   payload, 64 bytes ECDSA P-256 / SHA-256 signature (raw r || s) over everything before it.
// Snapshot and delta payloads are records (feed_format.h). A manifest payload is:
//   varint latest_sequence, instant made_at, instant expires_at,
//   entry snapshot, varint n, n entries (the deltas after the snapshot, sequences strictly
//   increasing but not necessarily consecutive: the publisher uses its registry's sequence),
//   byte has_rotation (0/1) [+ 65 bytes new SEC1 key + 64 bytes signature by the current key over
//   "GFD1 rotate" || new key].
//   entry = varint sequence, str name (1-128 bytes of [A-Za-z0-9._-], not starting with '.'),
//   varint size, 32 bytes SHA-256 of the whole file.
// The container's sequence of a manifest is its latest_sequence.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "firmware/core/p256.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::feed {

using Sec1Key = std::array<std::uint8_t, 65>;
using Signature = std::array<std::uint8_t, 64>;

enum class FileKind : std::uint8_t { snapshot = 1, delta = 2, manifest = 3 };
inline constexpr std::uint8_t kFormatVersion = 1;

// A container's parts. `signed_part` is everything the signature covers.
struct FeedFile {
  FileKind kind = FileKind::snapshot;
  std::uint64_t sequence = 0;
  core::Sha256Digest predecessor{};  // deltas only
  std::span<const std::uint8_t> payload;
  std::span<const std::uint8_t> signed_part;
  Signature signature{};
};

// A container's header, parsed on its own from a file's first bytes (the rest may be on disk).
struct FileHeader {
  FileKind kind = FileKind::snapshot;
  std::uint64_t sequence = 0;
  core::Sha256Digest predecessor{};  // deltas only
  std::size_t header_size = 0;       // bytes before the payload
  std::uint64_t payload_size = 0;    // file size - header - signature
};
inline constexpr std::size_t kMaxHeaderSize = 4 + 1 + 1 + 8 + 32;

// Parses the header of a container of `file_size` bytes from its first bytes (`head`, at least
// min(file_size, kMaxHeaderSize) of them). Errors as parse_container's.
Result<FileHeader> parse_header(std::span<const std::uint8_t> head, std::uint64_t file_size);

// The bytes a publisher signs: header + payload (append the signature to finish the file).
std::vector<std::uint8_t> container_head(FileKind kind, std::uint64_t sequence,
                                         const core::Sha256Digest* predecessor,
                                         std::span<const std::uint8_t> payload);

// Splits a container; Errc::malformed for a wrong magic, version or kind, or a short file.
// Does not check the signature. `bytes` must outlive the result.
Result<FeedFile> parse_container(std::span<const std::uint8_t> bytes);

// Whether `file` is signed by `key`.
bool signed_by(core::P256Curve& curve, const FeedFile& file, const core::P256PublicKey& key);
// Whether `signature` is `key`'s over a message whose SHA-256 is `digest` (a file hashed as read).
bool signed_by(core::P256Curve& curve, const core::Sha256Digest& digest, const Signature& signature,
               const core::P256PublicKey& key);

struct ManifestEntry {
  std::uint64_t sequence = 0;
  std::string name;
  std::uint64_t size = 0;
  core::Sha256Digest sha256{};
};

struct KeyRotation {
  Sec1Key new_key{};
  Signature signature{};  // by the current key over rotation_message(new_key)
};

struct Manifest {
  std::uint64_t latest_sequence = 0;
  Instant made_at{};
  Instant expires_at{};
  ManifestEntry snapshot;
  std::vector<ManifestEntry> deltas;
  std::optional<KeyRotation> rotation;
};

// "GFD1 rotate" || new_key: what the current key signs to introduce `new_key`.
std::vector<std::uint8_t> rotation_message(const Sec1Key& new_key);

std::vector<std::uint8_t> encode_manifest(const Manifest& manifest);
// Strict: Errc::malformed for anything but a well-formed manifest whose deltas follow the
// snapshot in strictly increasing sequence order, the last (or the snapshot) at latest_sequence.
Result<Manifest> decode_manifest(std::span<const std::uint8_t> payload);

}  // namespace gate::feed

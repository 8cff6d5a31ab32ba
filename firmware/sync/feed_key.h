// The feed key a gate pins: the operator's public key from a PEM file (parsed with mbedTLS pk),
// and the key state file that carries the rotations the feed made since, each one signed by the
// key before it, so a restarted gate pins the newest key the configured one led to.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "firmware/feed/feed_file.h"
#include "hal/result.h"

namespace gate::sync {

// A P-256 public key from a PEM file (SubjectPublicKeyInfo, "PUBLIC KEY"), as SEC1 uncompressed.
// Errc::not_found / invalid_argument with the path and mbedTLS's words otherwise.
Result<feed::Sec1Key> load_feed_public_key(const std::string& pem_path);

// The configured key and the rotations after it, oldest first.
struct KeyChain {
  feed::Sec1Key origin{};
  std::vector<feed::KeyRotation> rotations;
  // The key to pin: the last rotation's, or the origin.
  const feed::Sec1Key& current() const {
    return rotations.empty() ? origin : rotations.back().new_key;
  }
};

// Reads the key state at `path` for the configured key `origin`. A missing file is a chain of the
// origin alone. Errc::malformed when the file does not parse or a rotation is not signed by the
// key before it; Errc::invalid_argument when the file starts from another key (the operator
// configured a new one: the caller pins that, and the state is replaced at the next rotation).
Result<KeyChain> load_key_chain(const std::string& path, const feed::Sec1Key& origin);

// Writes the chain atomically: a temporary file, fsync, rename over `path`, fsync the directory.
Status save_key_chain(const std::string& path, const KeyChain& chain);

// Whether `rotation` is signed by `by` (over feed::rotation_message).
bool rotation_signed_by(const feed::KeyRotation& rotation, const feed::Sec1Key& by);

}  // namespace gate::sync

// ECDSA signatures between DER (ECDSA-Sig-Value, what openssl writes and reads) and raw r || s
// (what TRC1 bodies carry), for the openssl interop tests. Strict: only minimal DER of two positive
// integers of at most 32 significant bytes is converted.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/ride_code/p256_key_pair.h"

namespace gate::test {

// One DER INTEGER of an ECDSA-Sig-Value as a 32-byte big-endian scalar: the sign byte 0x00 that
// DER puts before a high bit is dropped, a shorter value is left-padded. nullopt if it is not a
// positive integer of at most 32 significant bytes, or not minimally encoded.
inline std::optional<std::array<std::uint8_t, 32>> der_integer(const std::vector<std::uint8_t>& der,
                                                               std::size_t& at) {
  if (at + 2 > der.size() || der[at] != 0x02) return std::nullopt;
  const std::size_t length = der[at + 1];
  at += 2;
  if (length == 0 || length > 33 || at + length > der.size()) return std::nullopt;
  std::size_t start = at;
  at += length;
  if (der[start] & 0x80) return std::nullopt;  // negative
  if (der[start] == 0x00) {
    if (length == 1 || !(der[start + 1] & 0x80)) return std::nullopt;  // zero, or not minimal
    ++start;
  }
  const std::size_t digits = at - start;
  if (digits > 32) return std::nullopt;
  std::array<std::uint8_t, 32> scalar{};
  std::copy(der.begin() + static_cast<std::ptrdiff_t>(start),
            der.begin() + static_cast<std::ptrdiff_t>(at),
            scalar.begin() + static_cast<std::ptrdiff_t>(32 - digits));
  return scalar;
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (at most 72 bytes: short-form lengths).
inline std::optional<sim::RawSignature> der_to_raw(const std::vector<std::uint8_t>& der) {
  if (der.size() < 2 || der[0] != 0x30 || std::size_t{der[1]} != der.size() - 2)
    return std::nullopt;
  std::size_t at = 2;
  const auto r = der_integer(der, at);
  const auto s = der_integer(der, at);
  if (!r || !s || at != der.size()) return std::nullopt;
  sim::RawSignature raw{};
  std::copy(r->begin(), r->end(), raw.begin());
  std::copy(s->begin(), s->end(), raw.begin() + 32);
  return raw;
}

// The opposite, for openssl to check our signatures.
inline std::vector<std::uint8_t> raw_to_der(const sim::RawSignature& raw) {
  std::vector<std::uint8_t> body;
  for (std::size_t half = 0; half < 2; ++half) {
    std::size_t start = half * 32;
    const std::size_t end = start + 32;
    while (start + 1 < end && raw[start] == 0) ++start;
    const bool pad = raw[start] & 0x80;
    body.push_back(0x02);
    body.push_back(static_cast<std::uint8_t>(end - start + (pad ? 1 : 0)));
    if (pad) body.push_back(0x00);
    body.insert(body.end(), raw.begin() + static_cast<std::ptrdiff_t>(start),
                raw.begin() + static_cast<std::ptrdiff_t>(end));
  }
  // Element by element: GCC 12 warns falsely (array-bounds) on inserting into a 2-byte vector.
  std::vector<std::uint8_t> der;
  der.push_back(0x30);
  der.push_back(static_cast<std::uint8_t>(body.size()));
  for (std::uint8_t b : body) der.push_back(b);
  return der;
}

}  // namespace gate::test

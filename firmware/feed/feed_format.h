// The feed's compact binary encoding of cache records (spec/records.md), shared by the publisher
// (sim/backoffice) and the gate's applier. A payload is:
//   varint count, then `count` records, then nothing (trailing bytes are an error).
// varint = unsigned LEB128 (at most 10 bytes, no overlong final zero byte); svarint = zigzag
// varint; str = varint length + bytes; instant = svarint microseconds since 1970-01-01T00:00:00Z;
// cred = kind byte (0 tu, 1 bj, 2 m1, 3 qr) + 8 bytes big-endian (tu: the 19 digits as a number;
//   bj: the 16 hex digits; qr: the account) or, for m1, 4 bytes big-endian (the 8 hex digits).
// A record is a tag byte and its fields:
//   1 binding:    cred, str identity (1-64 of 0x21-0x7E), byte media (0 card, 1 phone_card, 2 m1,
//                 3 qr), byte status (0 active, 1 lost, 2 blocked, 3 unbound), instant since
//   2 health:     str identity, byte colour (0 green, 1 yellow, 2 red), byte popup (0/1),
//                 byte has_test (0/1) [+ instant last_negative_test], instant as_of
//   3 policy:     str id (1-255 bytes), instant effective_from, varint n + n str lines,
//                 varint m + m str stations (names 1-255 bytes), byte health_mode (0 off, 1
//                 observe, 2 enforce), byte not_upgraded (0 allow, 1 allow_with_prompt, 2
//                 staff_check, 3 deny), byte health_unknown (0 allow, 1 staff_check, 2 deny), byte
//                 block_yellow, byte popup (0 staff_check, 1 deny), varint test_max_age_hours,
//                 varint max_cache_age_minutes, byte stale (as health_unknown),
//                 varint anti_passback_minutes, byte accept_m1  (counts at most 2^31-1)
//   4 issuer_key: 2 bytes issuer_id big-endian, byte key_id, 65 bytes SEC1 point (04 || X || Y),
//                 instant valid_from, instant valid_until, byte revoked
//   5 deny:       cred, str note (at most 4096 bytes)
//   6 delete:     byte kind (1-5 as the tags above), then the key: cred (binding, deny),
//                 str identity (health), str id (policy), 2 bytes issuer_id + byte key_id
// Strings other than identities are at most 4096 bytes; booleans are exactly 0 or 1.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "firmware/feed/byte_io.h"
#include "firmware/store/cache.h"
#include "hal/result.h"

namespace gate::feed {

// Encodes `changes` as a payload. Errc::invalid_argument for a record the format cannot carry
// (malformed credential key or public key, media none, a string over its limit).
Result<std::vector<std::uint8_t>> encode_records(const std::vector<store::CacheChange>& changes);

// Appends one record (no count) to `w`: the piece encode_records repeats, for a writer that
// streams a payload too large to hold. Errors as encode_records's, without the record index.
Status encode_record(ByteWriter& w, const store::CacheChange& change);

// Decodes a payload, strictly: every byte string gives the records or Errc::malformed naming the
// record index and what is wrong; never crashes, never allocates more than the input justifies.
Result<std::vector<store::CacheChange>> decode_records(std::span<const std::uint8_t> payload);

}  // namespace gate::feed

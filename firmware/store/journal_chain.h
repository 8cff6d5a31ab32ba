// The journal's hash chain (issue 7): every journal row carries
//   mac = HMAC-SHA-256(secret, previous mac || seq as 8 bytes big-endian || body)
// where `body` is the row's canonical bytes (the exact JSON text the journal stores and uploads)
// and `secret` is the gate's journal secret. The first chained row's "previous mac" is the
// chain's genesis, HMAC-SHA-256(secret, "GJC1" || gate id), which binds the gate id: another
// gate's journal does not verify under this gate's id even with the same secret. A deleted,
// altered, reordered or foreign row is found by `verify_chain`, which the gate and the back
// office's collector can both link: a pure function of its arguments, no SQLite, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hal/result.h"

namespace gate::store {

using Mac = std::array<std::uint8_t, 32>;

// Secrets shorter than this are refused (the config's journal_secret, Journal::open).
inline constexpr std::size_t kMinJournalSecretBytes = 32;

// What keys a gate's chain: its secret (raw bytes; never logged) and its gate id ("L1-S07-G03",
// the `gate` field of its records).
struct ChainKey {
  std::string secret;
  std::string gate;
};

// HMAC-SHA-256 (RFC 2104) through mbedTLS. Fails only if mbedTLS cannot set up its context.
Result<Mac> hmac_sha256(std::string_view key, std::string_view data);

// HMAC-SHA-256(secret, "GJC1" || gate id): the "previous mac" of the first chained row.
Result<Mac> chain_genesis(const ChainKey& key);

// HMAC-SHA-256(secret, prev || seq (8 bytes, big-endian) || body).
Result<Mac> chain_mac(std::string_view secret, const Mac& prev, std::uint64_t seq,
                      std::string_view body);

struct ChainRow {
  std::uint64_t seq = 0;
  std::string body;  // canonical bytes: the exact JSON text stored
  Mac mac{};
};

// Where verification starts: the seq the next row must have and the mac of the row before it
// (the genesis when the next row is the chain's first).
struct ChainAnchor {
  std::uint64_t next_seq = 1;
  Mac prev{};
};
Result<ChainAnchor> chain_start_anchor(const ChainKey& key, std::uint64_t chain_start);

enum class ChainProblem {
  none,
  gap,           // the row with `seq` is missing (deleted)
  altered,       // the row with `seq` does not match its mac (body or mac changed)
  reordered,     // the row with `seq` holds the content of a neighbour: rows moved or swapped
                 // (seen only when both rows are among `rows`; a swap across two batches shows
                 // as `altered` at the first)
  foreign_gate,  // the row with `seq` names another gate
};
std::string_view chain_problem_name(ChainProblem problem);

struct ChainVerdict {
  ChainProblem problem = ChainProblem::none;
  std::uint64_t seq = 0;  // the first row at fault (with none: 0)
  ChainAnchor next;       // with none: where the next batch continues
};

// Checks `rows` (in the order given) against the chain from `anchor` and reports the first
// problem. `Result` fails only if the HMAC itself cannot be computed.
Result<ChainVerdict> verify_chain(const ChainKey& key, ChainAnchor anchor,
                                  std::span<const ChainRow> rows);

}  // namespace gate::store

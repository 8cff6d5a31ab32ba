#include "firmware/store/journal_chain.h"

#include <mbedtls/md.h>

#include "firmware/core/json_text.h"

namespace gate::store {
namespace {

constexpr std::string_view kGenesisTag = "GJC1";

// HMAC over the concatenation of `parts`, without building it.
Result<Mac> hmac_parts(std::string_view key, std::initializer_list<std::string_view> parts) {
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  mbedtls_md_context_t ctx;
  mbedtls_md_init(&ctx);
  Mac mac{};
  int rc = info == nullptr ? -1 : mbedtls_md_setup(&ctx, info, 1);
  if (rc == 0) {
    rc = mbedtls_md_hmac_starts(&ctx, reinterpret_cast<const unsigned char*>(key.data()),
                                key.size());
  }
  for (std::string_view part : parts) {
    if (rc != 0) break;
    rc = mbedtls_md_hmac_update(&ctx, reinterpret_cast<const unsigned char*>(part.data()),
                                part.size());
  }
  if (rc == 0) rc = mbedtls_md_hmac_finish(&ctx, mac.data());
  mbedtls_md_free(&ctx);
  if (rc != 0) return make_error(Errc::unsupported, "journal chain: HMAC-SHA-256 unavailable");
  return mac;
}

std::string_view as_bytes(const Mac& mac) {
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

// The body names this gate: its canonical JSON has "gate":"<id>". A credential cannot fake the
// pattern, since inside a JSON string every '"' is escaped.
bool names_gate(std::string_view body, std::string_view gate) {
  std::string field = "\"gate\":";
  core::append_json_string(field, gate);
  return body.find(field) != std::string_view::npos;
}

}  // namespace

Result<Mac> hmac_sha256(std::string_view key, std::string_view data) {
  return hmac_parts(key, {data});
}

Result<Mac> chain_genesis(const ChainKey& key) {
  return hmac_parts(key.secret, {kGenesisTag, key.gate});
}

Result<Mac> chain_mac(std::string_view secret, const Mac& prev, std::uint64_t seq,
                      std::string_view body) {
  char be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<char>((seq >> (56 - 8 * i)) & 0xff);
  return hmac_parts(secret, {as_bytes(prev), std::string_view(be, 8), body});
}

Result<ChainAnchor> chain_start_anchor(const ChainKey& key, std::uint64_t chain_start) {
  GATE_TRY_ASSIGN(Mac genesis, chain_genesis(key));
  return ChainAnchor{chain_start, genesis};
}

std::string_view chain_problem_name(ChainProblem problem) {
  switch (problem) {
    case ChainProblem::none: return "none";
    case ChainProblem::gap: return "gap";
    case ChainProblem::altered: return "altered";
    case ChainProblem::reordered: return "reordered";
    case ChainProblem::foreign_gate: return "foreign_gate";
  }
  return "unknown";
}

Result<ChainVerdict> verify_chain(const ChainKey& key, ChainAnchor anchor,
                                  std::span<const ChainRow> rows) {
  auto fault = [](ChainProblem p, std::uint64_t seq) { return ChainVerdict{p, seq, {}}; };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ChainRow& row = rows[i];
    const std::uint64_t want = anchor.next_seq;
    if (!names_gate(row.body, key.gate)) return fault(ChainProblem::foreign_gate, row.seq);
    if (row.seq != want) {
      // The expected row further on means rows were moved; nowhere, that it was deleted.
      for (std::size_t j = i + 1; j < rows.size(); ++j) {
        if (rows[j].seq == want) return fault(ChainProblem::reordered, want);
      }
      return fault(row.seq < want ? ChainProblem::reordered : ChainProblem::gap, want);
    }
    GATE_TRY_ASSIGN(Mac mac, chain_mac(key.secret, anchor.prev, row.seq, row.body));
    if (mac != row.mac) {
      // Contents swapped with the next row (body, or body and mac): the next row's body is the
      // one that belongs here.
      if (i + 1 < rows.size()) {
        GATE_TRY_ASSIGN(Mac moved, chain_mac(key.secret, anchor.prev, row.seq, rows[i + 1].body));
        if (moved == row.mac || moved == rows[i + 1].mac) {
          return fault(ChainProblem::reordered, row.seq);
        }
      }
      return fault(ChainProblem::altered, row.seq);
    }
    anchor = ChainAnchor{want + 1, mac};
  }
  return ChainVerdict{ChainProblem::none, 0, anchor};
}

}  // namespace gate::store

#include "sim/soak/soak_code_issuer.h"

#include "sim/populate/keyed_permutation.h"
#include "sim/populate/record_lines.h"

namespace gate::sim {
namespace {

using std::chrono::seconds;
constexpr std::uint16_t kCodeValidity = 60;  // seconds, as the App makes them

}  // namespace

SoakCodeIssuer::SoakCodeIssuer(CtrDrbg rng, P256KeyPair issuer, std::chrono::sys_days first_day)
    : rng_(std::move(rng)), issuer_(std::move(issuer)), first_day_(first_day) {}

Result<std::unique_ptr<SoakCodeIssuer>> SoakCodeIssuer::create(std::uint64_t seed,
                                                               std::chrono::sys_days first_day) {
  std::string seed_text = "soak-issuer-" + std::to_string(seed);
  GATE_TRY_ASSIGN(CtrDrbg rng,
                  CtrDrbg::from_seed(std::span(
                      reinterpret_cast<const std::uint8_t*>(seed_text.data()), seed_text.size())));
  GATE_TRY_ASSIGN(P256KeyPair issuer, P256KeyPair::generate(rng));
  std::unique_ptr<SoakCodeIssuer> made(
      new SoakCodeIssuer(std::move(rng), std::move(issuer), first_day));
  for (int i = 0; i < 8; ++i) {
    GATE_TRY_ASSIGN(P256KeyPair device, P256KeyPair::generate(made->rng_));
    made->device_keys_.push_back(std::move(device));
  }
  return made;
}

std::string SoakCodeIssuer::issuer_key_line(int utc_offset_minutes) const {
  core::IssuerKey key =
      issuer_key_record(1, 1, issuer_.public_key(), Instant(first_day_ - std::chrono::days(365)),
                        Instant(first_day_ + std::chrono::days(365)), false);
  std::string line;
  append_issuer_key_line(line, key, utc_offset_minutes);
  return line;
}

Result<Trc1Body> SoakCodeIssuer::mint(std::uint64_t account_id, std::uint32_t generated_at) {
  auto it = installs_.find(account_id);
  if (it == installs_.end()) {
    // Certified once for the whole soak (a day before the first to 60 days after).
    Trc1CertificateFields fields;
    fields.issuer_id = 1;
    fields.issuer_key_id = 1;
    fields.account_id = account_id;
    auto from =
        std::chrono::duration_cast<seconds>((first_day_ - std::chrono::days(1)).time_since_epoch())
            .count();
    fields.not_before = static_cast<std::uint32_t>(from);
    fields.not_after = static_cast<std::uint32_t>(from + 61 * 86400);
    const std::size_t device = static_cast<std::size_t>(mix64(account_id) % device_keys_.size());
    GATE_TRY_ASSIGN(
        Trc1Certificate certificate,
        issue_trc1_certificate(fields, device_keys_[device].public_key(), issuer_, rng_));
    it = installs_.emplace(account_id, Install{certificate, device}).first;
  }
  Trc1CodeFields code;
  code.generated_at = generated_at;
  code.validity_seconds = kCodeValidity;
  code.sequence = sequences_[account_id]++;
  return mint_trc1_code(it->second.certificate, code, device_keys_[it->second.device_key], rng_);
}

}  // namespace gate::sim

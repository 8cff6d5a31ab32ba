// The soak's ride-code platform (sim/soak/service_day.h): its issuer key and the installs it
// certified, so that a service day's riders scan codes gates accept.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hal/result.h"
#include "sim/ride_code/ctr_drbg.h"
#include "sim/ride_code/p256_key_pair.h"
#include "sim/ride_code/trc1_issuer.h"

namespace gate::sim {

// The ride-code platform of the soak: one issuer key (issuer 1, key 1) made from the seed, valid
// a year either side of the first day, and the installs (device key and certificate per ride
// account) it has certified, remembered across days.
class SoakCodeIssuer {
 public:
  static Result<std::unique_ptr<SoakCodeIssuer>> create(std::uint64_t seed,
                                                        std::chrono::sys_days first_day);
  // The issuer_key record gates need (records.md), one JSON line.
  std::string issuer_key_line(int utc_offset_minutes) const;
  // A code of account `account_id` generated at `generated_at` (Unix seconds), valid 60 s.
  Result<Trc1Body> mint(std::uint64_t account_id, std::uint32_t generated_at);

 private:
  struct Install {
    Trc1Certificate certificate;
    std::size_t device_key;  // index into device_keys_
  };
  SoakCodeIssuer(CtrDrbg rng, P256KeyPair issuer, std::chrono::sys_days first_day);
  CtrDrbg rng_;
  P256KeyPair issuer_;
  std::chrono::sys_days first_day_;
  std::vector<P256KeyPair> device_keys_;  // a few shared by all installs: key making is slow
  std::map<std::uint64_t, Install> installs_;
  std::map<std::uint64_t, std::uint16_t> sequences_;
};

}  // namespace gate::sim

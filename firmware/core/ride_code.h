// Ride codes (spec/ride-code-v1.md, "TRC1"): offline verification, steps 1-7. Step 8 (the account
// as a credential) is the decision engine's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "firmware/core/reason.h"
#include "firmware/core/records.h"
#include "hal/time.h"

namespace gate::core {

// Where the verifier finds trusted issuer keys (the cache's issuer_key records).
class IssuerKeySource {
 public:
  virtual ~IssuerKeySource() = default;
  virtual std::optional<IssuerKey> find_issuer_key(std::uint16_t issuer_id,
                                                   std::uint8_t key_id) = 0;
};

// Which (account, generated_at, sequence) triples this gate has already accepted.
class ReplayGuard {
 public:
  virtual ~ReplayGuard() = default;
  virtual bool seen(std::uint64_t account_id, std::uint32_t generated_at,
                    std::uint16_t sequence) = 0;
  // Remembers an accepted triple until `forget_after` (the code's lifetime plus skew).
  virtual void remember(std::uint64_t account_id, std::uint32_t generated_at,
                        std::uint16_t sequence, Instant forget_after) = 0;
  // Like remember(), but first drops triples whose forget_after lies before `now`, and returns
  // false, remembering nothing, when a bounded guard is still full of unexpired triples (the
  // caller must then refuse the code). The default remembers and returns true.
  virtual bool try_remember(std::uint64_t account_id, std::uint32_t generated_at,
                            std::uint16_t sequence, Instant forget_after, Instant now) {
    (void)now;
    remember(account_id, generated_at, sequence, forget_after);
    return true;
  }
};

struct RideCodeOk {
  std::string credential;  // "qr:<account_id>"
  std::uint64_t account_id = 0;
  std::uint32_t generated_at = 0;
  std::uint16_t sequence = 0;
  Instant expires_at{};  // generated_at + validity_seconds + skew
};

}  // namespace gate::core

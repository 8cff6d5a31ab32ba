// The soak checker's own ride-code check, spec/ride-code-v1.md steps 1-7: its own Base45 decoder,
// the layout read byte by byte, ECDSA P-256 through mbedTLS's bare primitives (not the firmware's
// Trc1Verifier or p256 wrapper), the issuer keys of the records, and its own replay memory.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/sim/soak_records.h"

namespace gate::test::soak {

using Triple = std::tuple<std::uint64_t, std::uint32_t, std::uint16_t>;

struct CodeVerdict {
  std::string reason;      // empty: accepted
  std::string credential;  // "qr:<account>" when accepted
};

class CodeChecker {
 public:
  // The reason the code is refused ("code_malformed", …), or the account's credential key.
  CodeVerdict check(const std::string& text, Time now, const Records& records);

 private:
  std::set<std::vector<std::uint8_t>> verified_certs_;  // issuer signature checked once per cert
  std::set<Triple> accepted_;
};

}  // namespace gate::test::soak

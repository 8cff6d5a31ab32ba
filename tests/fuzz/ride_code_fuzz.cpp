// Ride code text as a scanner delivers it (spec/ride-code-v1.md step 1): the TRC1 parser and the
// Base45 decoder under it. A decoded body must encode back to the same text (Base45 has one
// spelling per byte string), and a parsed code keeps the bytes it was decoded from.
#include <algorithm>
#include <string>

#include "firmware/core/base45.h"
#include "firmware/core/trc1_verifier.h"
#include "tests/fuzz/fuzz_target.h"

using gate::fuzz::fuzz_require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gate::fuzz::as_text(data, size);
  auto decoded = gate::core::base45_decode(text);
  if (decoded) {
    fuzz_require(gate::core::base45_encode(*decoded) == text, "base45 round trip");
  }
  auto code = gate::core::parse_trc1(text);
  if (code) {
    fuzz_require(text.starts_with(gate::core::kTrc1Prefix), "TRC1 prefix");
    auto body = gate::core::base45_decode(text.substr(gate::core::kTrc1Prefix.size()));
    fuzz_require(body && std::equal(body->begin(), body->end(), code->body.begin(),
                                    code->body.end()),
                 "TRC1 body kept as decoded");
    fuzz_require(code->validity_seconds >= 1 && code->validity_seconds <= 300,
                 "TRC1 validity in 1..300");
  }
  return 0;
}

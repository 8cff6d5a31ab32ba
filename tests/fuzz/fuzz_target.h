// What every fuzz target under tests/fuzz shares. A target is one file defining libFuzzer's entry
// point, LLVMFuzzerTestOneInput, over one parser of outside input; the same file builds two ways:
// with clang's libFuzzer (GATE_FUZZ=ON, tests/fuzz/run.sh) to search for crashes, and with the
// normal toolchain against replay_main.cpp, which runs the target's seed corpus (and the inputs
// that once crashed it) once in every test run, on every target the suite builds for.
//
// A target checks the parser's promises (a round trip, chunking that changes nothing) with
// fuzz_require: a broken promise aborts, which libFuzzer reports as a crash and the replay test
// as a failure, like any other crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace gate::fuzz {

inline void fuzz_require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz target invariant broken: %s\n", what);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes an input apart front to back, for targets that need more than one value from it. Reads
// past the end give zeros and empty spans, so every input is usable.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : rest_(data, size) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    std::uint8_t b = rest_.front();
    rest_ = rest_.subspan(1);
    return b;
  }
  // Up to `n` bytes (fewer at the end).
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (n > rest_.size()) n = rest_.size();
    auto taken = rest_.first(n);
    rest_ = rest_.subspan(n);
    return taken;
  }
  std::span<const std::uint8_t> rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::span<const std::uint8_t> rest_;
};

}  // namespace gate::fuzz

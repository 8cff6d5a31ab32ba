// Deterministic pseudo-randomness for the population generator: a bijective 64-bit mixer, a small
// seeded generator, and keyed permutations of [0, n) used to make unique keys that look random.
#pragma once

#include <cstdint>

namespace gate::sim {

// SplitMix64's finalizer: a bijection on 64-bit values with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Hashes a seed and two values into one well-mixed 64-bit value.
constexpr std::uint64_t hash3(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  return mix64(mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ a) + b);
}

// SplitMix64: a tiny, fast, seeded generator; the same seed gives the same sequence everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [0, n) for n > 0 (the modulo bias is below 2^-40 for the n used here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // True with probability ppm / 1,000,000.
  bool chance_ppm(std::uint32_t ppm) { return below(1'000'000) < ppm; }

 private:
  std::uint64_t state_;
};

// A bijection of [0, domain) chosen by `key`: a balanced Feistel network over the smallest even
// number of bits that covers the domain, with cycle walking to stay inside it.
class KeyedPermutation {
 public:
  // `domain` must be in [1, 2^62].
  KeyedPermutation(std::uint64_t domain, std::uint64_t key);
  // The image of x; x must be < domain.
  std::uint64_t apply(std::uint64_t x) const;

 private:
  static constexpr int kRounds = 4;
  std::uint64_t feistel(std::uint64_t x) const;

  std::uint64_t domain_;
  int half_bits_ = 1;
  std::uint64_t half_mask_ = 1;
  std::uint64_t round_keys_[kRounds] = {};
};

}  // namespace gate::sim

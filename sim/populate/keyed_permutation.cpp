#include "sim/populate/keyed_permutation.h"

namespace gate::sim {

KeyedPermutation::KeyedPermutation(std::uint64_t domain, std::uint64_t key) : domain_(domain) {
  while ((std::uint64_t{1} << (2 * half_bits_)) < domain) ++half_bits_;
  half_mask_ = (std::uint64_t{1} << half_bits_) - 1;
  for (int r = 0; r < kRounds; ++r)
    round_keys_[r] = hash3(key, 0x50e7, static_cast<std::uint64_t>(r));
}

std::uint64_t KeyedPermutation::feistel(std::uint64_t x) const {
  std::uint64_t left = x >> half_bits_;
  std::uint64_t right = x & half_mask_;
  for (std::uint64_t k : round_keys_) {
    std::uint64_t next = left ^ (mix64(right ^ k) & half_mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

std::uint64_t KeyedPermutation::apply(std::uint64_t x) const {
  // Cycle walking: the Feistel network permutes [0, 4^half_bits); following its cycle from x until
  // it comes back inside the domain permutes the domain. The domain is more than a quarter of
  // the network's range, so this takes fewer than four steps on average.
  do {
    x = feistel(x);
  } while (x >= domain_);
  return x;
}

}  // namespace gate::sim

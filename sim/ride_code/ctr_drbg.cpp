#include "sim/ride_code/ctr_drbg.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace gate::sim {
namespace {

constexpr std::string_view kPersonalization = "gate ride-code";
constexpr std::size_t kMaxSeedSize = 256;

}  // namespace

// Heap-allocated so that the DRBG's pointer to its entropy source stays valid across moves.
struct CtrDrbg::State {
  State() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~State() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Entropy from the seed: SHA-256(seed || counter) blocks, a new counter for every request.
  static int seeded_entropy(void* self, unsigned char* out, std::size_t size) {
    auto* state = static_cast<State*>(self);
    std::vector<std::uint8_t> input(state->seed);
    input.resize(state->seed.size() + 4);
    while (size > 0) {
      const std::uint32_t n = state->counter++;
      for (int i = 0; i < 4; ++i)
        input[state->seed.size() + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
      std::array<unsigned char, 32> block{};
      if (mbedtls_sha256_ret(input.data(), input.size(), block.data(), 0) != 0) return -1;
      const std::size_t take = std::min(size, block.size());
      std::copy_n(block.begin(), take, out);
      out += take;
      size -= take;
    }
    return 0;
  }

  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  std::vector<std::uint8_t> seed;
  std::uint32_t counter = 0;
};

CtrDrbg::CtrDrbg(std::unique_ptr<State> state) : state_(std::move(state)) {}
CtrDrbg::CtrDrbg(CtrDrbg&&) noexcept = default;
CtrDrbg& CtrDrbg::operator=(CtrDrbg&&) noexcept = default;
CtrDrbg::~CtrDrbg() = default;

Result<CtrDrbg> CtrDrbg::from_system_entropy() {
  auto state = std::make_unique<State>();
  const auto* custom = reinterpret_cast<const unsigned char*>(kPersonalization.data());
  if (mbedtls_ctr_drbg_seed(&state->drbg, mbedtls_entropy_func, &state->entropy, custom,
                            kPersonalization.size()) != 0) {
    return make_error(Errc::io_error, "ctr_drbg: no entropy from the system");
  }
  return CtrDrbg(std::move(state));
}

Result<CtrDrbg> CtrDrbg::from_seed(std::span<const std::uint8_t> seed) {
  if (seed.empty() || seed.size() > kMaxSeedSize) {
    return make_error(Errc::invalid_argument, "ctr_drbg: a seed is 1 to 256 bytes");
  }
  auto state = std::make_unique<State>();
  state->seed.assign(seed.begin(), seed.end());
  const auto* custom = reinterpret_cast<const unsigned char*>(kPersonalization.data());
  if (mbedtls_ctr_drbg_seed(&state->drbg, &State::seeded_entropy, state.get(), custom,
                            kPersonalization.size()) != 0) {
    return make_error(Errc::io_error, "ctr_drbg: seeding failed");
  }
  return CtrDrbg(std::move(state));
}

Status CtrDrbg::fill(std::span<std::uint8_t> out) {
  // mbedTLS hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call.
  while (!out.empty()) {
    const std::size_t take = std::min<std::size_t>(out.size(), MBEDTLS_CTR_DRBG_MAX_REQUEST);
    if (mbedtls_ctr_drbg_random(&state_->drbg, out.data(), take) != 0) {
      return make_error(Errc::io_error, "ctr_drbg: generating failed");
    }
    out = out.subspan(take);
  }
  return ok_status();
}

int CtrDrbg::mbedtls_random(void* self, unsigned char* out, std::size_t size) {
  auto* drbg = static_cast<CtrDrbg*>(self);
  return drbg->fill(std::span(out, size)).ok() ? 0 : -1;
}

}  // namespace gate::sim

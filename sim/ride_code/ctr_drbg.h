// Random bytes for making keys and blinding signatures: mbedTLS's CTR_DRBG (AES-256), seeded from
// the system's entropy (/dev/urandom) or, for repeatable tests and benchmarks, from a given seed.
// mbedTLS types stay out of this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "hal/result.h"

namespace gate::sim {

class CtrDrbg {
 public:
  // A generator seeded from mbedTLS's entropy collector (/dev/urandom on Linux). Errc::io_error
  // when no entropy can be had.
  static Result<CtrDrbg> from_system_entropy();

  // A generator whose output depends only on `seed` (1 to 256 bytes): the same seed gives the same
  // keys. For tests and benchmarks only; never for keys that protect anything.
  static Result<CtrDrbg> from_seed(std::span<const std::uint8_t> seed);

  CtrDrbg(CtrDrbg&&) noexcept;
  CtrDrbg& operator=(CtrDrbg&&) noexcept;
  ~CtrDrbg();

  // Fills `out`; Errc::io_error if mbedTLS fails (it reseeds itself as needed).
  Status fill(std::span<std::uint8_t> out);

  // The generator as mbedTLS's f_rng callback: pass `mbedtls_random` with `this` as p_rng.
  static int mbedtls_random(void* self, unsigned char* out, std::size_t size);

 private:
  struct State;
  explicit CtrDrbg(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gate::sim

// An mbedTLS context that initialises itself when made and frees itself when it goes: the one
// RAII wrapper for the library's init/free pairs, so no caller can leak one on an error path.
#pragma once

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>

namespace gate::core {

template <typename T, void (*Init)(T*), void (*Free)(T*)>
struct MbedtlsObject {
  MbedtlsObject() { Init(&v); }
  ~MbedtlsObject() { Free(&v); }
  MbedtlsObject(const MbedtlsObject&) = delete;
  MbedtlsObject& operator=(const MbedtlsObject&) = delete;
  T v;
};

using Mpi = MbedtlsObject<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;
using PkContext = MbedtlsObject<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;

}  // namespace gate::core

#include "sim/https_server/loopback_pki.h"

#include <fcntl.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "firmware/core/mbedtls_object.h"
#include "sim/ride_code/pem_file.h"

namespace gate::sim {
namespace {

Error tls_error(const std::string& step, int rc) {
  char text[160];
  mbedtls_strerror(rc, text, sizeof text);
  return make_error(Errc::io_error, "loopback pki: " + step + ": " + text);
}

using Key = core::PkContext;

Status generate(Key& key, CtrDrbg& rng) {
  int rc = mbedtls_pk_setup(&key.v, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) {
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.v),
                             CtrDrbg::mbedtls_random, &rng);
  }
  if (rc != 0) return tls_error("generate a P-256 key", rc);
  return {};
}

struct CertRequest {
  const char* subject;
  const char* issuer;
  Key* subject_key;
  Key* issuer_key;
  int serial;
  bool ca;
};

// subjectAltName = SEQUENCE { dNSName [2] "localhost" }, DER.
constexpr std::array<unsigned char, 13> kSanLocalhost = {0x30, 0x0b, 0x82, 0x09, 'l', 'o', 'c',
                                                         'a',  'l',  'h',  'o',  's', 't'};

struct CertWriter {
  CertWriter() {
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
  }
  ~CertWriter() {
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&crt);
  }
  CertWriter(const CertWriter&) = delete;
  CertWriter& operator=(const CertWriter&) = delete;
  mbedtls_x509write_cert crt;
  mbedtls_mpi serial;
};

Status fill(CertWriter& w, const CertRequest& r) {
  mbedtls_x509write_crt_set_version(&w.crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w.crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w.crt, &r.subject_key->v);
  mbedtls_x509write_crt_set_issuer_key(&w.crt, &r.issuer_key->v);
  int rc = mbedtls_mpi_lset(&w.serial, r.serial);
  if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&w.crt, &w.serial);
  if (rc == 0) rc = mbedtls_x509write_crt_set_subject_name(&w.crt, r.subject);
  if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(&w.crt, r.issuer);
  if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&w.crt, "20200101000000", "20491231235959");
  if (rc == 0)
    rc = mbedtls_x509write_crt_set_basic_constraints(&w.crt, r.ca ? 1 : 0, r.ca ? 0 : -1);
  if (rc == 0) {
    rc = mbedtls_x509write_crt_set_key_usage(
        &w.crt, r.ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
                     : MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
  }
  if (rc == 0 && !r.ca) {
    rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                             kSanLocalhost.data(), kSanLocalhost.size());
  }
  if (rc != 0) return tls_error(std::string("certificate fields for ") + r.subject, rc);
  return {};
}

}  // namespace

Result<LoopbackPki> make_loopback_pki(CtrDrbg& rng) {
  Key ca_key;
  Key server_key;
  GATE_TRY(generate(ca_key, rng));
  GATE_TRY(generate(server_key, rng));
  const char* ca_name = "CN=gate-sim loopback feed CA,O=gate-sim";
  LoopbackPki pki;
  std::vector<unsigned char> buf(4096);
  {
    CertWriter ca;
    GATE_TRY(fill(ca, {ca_name, ca_name, &ca_key, &ca_key, 1, true}));
    int rc =
        mbedtls_x509write_crt_pem(&ca.crt, buf.data(), buf.size(), CtrDrbg::mbedtls_random, &rng);
    if (rc != 0) return tls_error("write the CA certificate", rc);
    pki.ca_cert_pem = reinterpret_cast<const char*>(buf.data());
  }
  {
    CertWriter server;
    GATE_TRY(fill(server, {"CN=localhost,O=gate-sim", ca_name, &server_key, &ca_key, 2, false}));
    int rc = mbedtls_x509write_crt_pem(&server.crt, buf.data(), buf.size(), CtrDrbg::mbedtls_random,
                                       &rng);
    if (rc != 0) return tls_error("write the server certificate", rc);
    pki.server_cert_pem = reinterpret_cast<const char*>(buf.data());
  }
  int rc = mbedtls_pk_write_key_pem(&server_key.v, buf.data(), buf.size());
  if (rc != 0) return tls_error("write the server key", rc);
  pki.server_key_pem = reinterpret_cast<const char*>(buf.data());
  return pki;
}

namespace {

Error file_error(const std::string& path, const std::string& what) {
  return make_error(Errc::storage_error,
                    "tls dir: " + path + ": " + what + ": " + std::strerror(errno));
}

// fsync of a file or a directory, so a renamed file is on disk with its contents after a power
// cut, not an empty name.
Status sync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error(path, "open");
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return file_error(path, "fsync");
  return ok_status();
}

// Writes `text` to dir/name through a temporary name, synced, then renamed over `name`.
Status put_file(const std::string& dir, const char* name, const std::string& text, unsigned mode) {
  std::string final_path = dir + "/" + name;
  std::string tmp = final_path + ".tmp";
  ::unlink(tmp.c_str());  // left by a start killed while writing it
  GATE_TRY(write_new_file(tmp, text, mode));
  GATE_TRY(sync_path(tmp));
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return file_error(final_path, "rename");
  return ok_status();
}

}  // namespace

Result<LoopbackPki> load_or_create_loopback_pki(const std::string& dir, CtrDrbg& rng) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return file_error(dir, "mkdir");
  auto path = [&](const char* name) { return dir + "/" + name; };
  Result<std::string> ca = read_small_file(path(kTlsDirCaCert));
  if (ca.ok()) {
    LoopbackPki pki;
    pki.ca_cert_pem = std::move(*ca);
    Result<std::string> cert = read_small_file(path(kTlsDirServerCert));
    Result<std::string> key = read_small_file(path(kTlsDirServerKey));
    if (!cert.ok() || !key.ok()) {
      return make_error(Errc::storage_error,
                        "tls dir: " + dir + " has " + kTlsDirCaCert + " but not " +
                            kTlsDirServerCert + " and " + kTlsDirServerKey +
                            " (remove the directory to make a new CA, then give the clients the "
                            "new ca.pem)");
    }
    pki.server_cert_pem = std::move(*cert);
    pki.server_key_pem = std::move(*key);
    return pki;
  }
  if (ca.error().code != Errc::not_found) return ca.error();
  GATE_TRY_ASSIGN(LoopbackPki pki, make_loopback_pki(rng));
  GATE_TRY(put_file(dir, kTlsDirServerKey, pki.server_key_pem, 0600));
  GATE_TRY(put_file(dir, kTlsDirServerCert, pki.server_cert_pem, 0644));
  GATE_TRY(put_file(dir, kTlsDirCaCert, pki.ca_cert_pem, 0644));  // last: the identity is whole
  GATE_TRY(sync_path(dir));
  return pki;
}

}  // namespace gate::sim

#include "firmware/sync/feed_key.h"

#include <fcntl.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "firmware/core/bcd.h"

namespace gate::sync {
namespace {

Error state_error(const std::string& path, const std::string& what) {
  return make_error(Errc::malformed, "feed key state " + path + ": " + what);
}

Error file_error(const std::string& what, const std::string& path) {
  return make_error(Errc::storage_error,
                    "feed key state: " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<feed::Sec1Key> load_feed_public_key(const std::string& pem_path) {
  if (::access(pem_path.c_str(), R_OK) != 0) {
    return make_error(errno == ENOENT ? Errc::not_found : Errc::invalid_argument,
                      "feed key " + pem_path + ": " + std::strerror(errno));
  }
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  auto fail = [&](const std::string& why) {
    mbedtls_pk_free(&pk);
    return make_error(Errc::invalid_argument, "feed key " + pem_path + ": " + why);
  };
  if (const int rc = mbedtls_pk_parse_public_keyfile(&pk, pem_path.c_str()); rc != 0) {
    char text[160];
    mbedtls_strerror(rc, text, sizeof text);
    return fail(std::string("not a PEM public key (") + text + ")");
  }
  if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY) return fail("not an EC key");
  const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(pk);
  if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1) return fail("not a P-256 key");
  feed::Sec1Key key{};
  std::size_t written = 0;
  if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &written,
                                     key.data(), key.size()) != 0 ||
      written != key.size()) {
    return fail("cannot export the point");
  }
  mbedtls_pk_free(&pk);
  return key;
}

bool rotation_signed_by(const feed::KeyRotation& rotation, const feed::Sec1Key& by) {
  core::P256Curve curve;
  auto key = curve.parse_public_key(by);
  auto digest = core::sha256(feed::rotation_message(rotation.new_key));
  return key.ok() && digest && curve.verify(*key, *digest, rotation.signature);
}

// The file: "origin <130 hex>" then one "rotate <130 hex key> <128 hex signature>" per rotation.
Result<KeyChain> load_key_chain(const std::string& path, const feed::Sec1Key& origin) {
  KeyChain chain;
  chain.origin = origin;
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return chain;
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "feed key state " + path + ": cannot be read");
  std::string line, word;
  bool have_origin = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    fields >> word;
    if (word == "origin" && !have_origin) {
      feed::Sec1Key key{};
      if (!(fields >> word) || !core::decode_lower_hex(word, key)) return state_error(path, "bad origin line");
      if (key != origin) {
        return make_error(Errc::invalid_argument,
                          "feed key state " + path + " starts from another feed key");
      }
      have_origin = true;
    } else if (word == "rotate" && have_origin) {
      feed::KeyRotation r;
      std::string sig;
      if (!(fields >> word >> sig) || !core::decode_lower_hex(word, r.new_key) || !core::decode_lower_hex(sig, r.signature)) {
        return state_error(path, "bad rotate line");
      }
      if (!rotation_signed_by(r, chain.current())) {
        return state_error(path, "a rotation is not signed by the key before it");
      }
      chain.rotations.push_back(r);
    } else {
      return state_error(path, "unexpected line `" + word + "`");
    }
  }
  if (!have_origin) return state_error(path, "no origin line");
  return chain;
}

Status save_key_chain(const std::string& path, const KeyChain& chain) {
  std::string text =
      "# The feed keys this gate pins: the configured one, then each rotation signed "
      "by the key before it.\norigin " +
      core::to_lower_hex(chain.origin) + "\n";
  for (const auto& r : chain.rotations) {
    text += "rotate " + core::to_lower_hex(r.new_key) + " " + core::to_lower_hex(r.signature) + "\n";
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return file_error("create", tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Error e = file_error("write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Error e = file_error("fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Error e = file_error("rename", tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return file_error("open directory", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return file_error("fsync directory", dir);
  return ok_status();
}

}  // namespace gate::sync

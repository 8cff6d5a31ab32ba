#include "sim/ride_code/ride_code_commands.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "sim/ride_code/pem_file.h"
#include "sim/ride_code/qr_png.h"
#include "sim/ride_code/ride_code_args.h"
#include "sim/ride_code/trc1_issuer.h"

namespace gate::sim {
namespace {

constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr unsigned kPrivateKeyMode = 0600;
constexpr unsigned kPublicKeyMode = 0644;

int fail(const Error& error, int code) {
  std::cerr << "ride-code: " << error.message << "\n";
  return code;
}

// Runs a step of argument checking: a failed Result or Status ends the command with a usage error.
#define RIDE_CODE_ARG(lhs, expr)                           \
  auto lhs##_r = (expr);                                   \
  if (!lhs##_r.ok()) return fail(lhs##_r.error(), kUsage); \
  auto lhs = std::move(lhs##_r).value()

Result<P256KeyPair> read_key_pair(const std::string& path) {
  GATE_TRY_ASSIGN(const std::string pem, read_small_file(path));
  auto pair = P256KeyPair::from_pem(pem);
  if (!pair.ok()) return make_error(pair.error().code, path + ": " + pair.error().message);
  return pair;
}

Result<Sec1Point> read_public_key(const std::string& path) {
  GATE_TRY_ASSIGN(const std::string pem, read_small_file(path));
  auto point = public_key_from_pem(pem);
  if (!point.ok()) return make_error(point.error().code, path + ": " + point.error().message);
  return point;
}

// The certificate options shared by `cert` and `mint`, checked before any key file is read.
struct CertificateRequest {
  std::string issuer_key_path;
  std::string device_key_path;
  Trc1CertificateFields fields;
};

Result<CertificateRequest> certificate_request(const RideCodeArgs& args) {
  CertificateRequest r;
  GATE_TRY_ASSIGN(r.issuer_key_path, args.text("issuer-key"));
  GATE_TRY_ASSIGN(r.device_key_path, args.text("device-key"));
  GATE_TRY_ASSIGN(const std::uint64_t issuer, args.number("issuer-id", 0, 65535));
  GATE_TRY_ASSIGN(const std::uint64_t key_id, args.number("key-id", 0, 255));
  GATE_TRY_ASSIGN(r.fields.account_id, args.number("account", 0, UINT64_MAX));
  GATE_TRY_ASSIGN(r.fields.not_before, args.unix_seconds("cert-not-before"));
  GATE_TRY_ASSIGN(r.fields.not_after, args.unix_seconds("cert-not-after"));
  r.fields.issuer_id = static_cast<std::uint16_t>(issuer);
  r.fields.issuer_key_id = static_cast<std::uint8_t>(key_id);
  if (r.fields.not_after < r.fields.not_before) {
    return make_error(Errc::invalid_argument, "--cert-not-after is before --cert-not-before");
  }
  return r;
}

Result<Trc1Certificate> issue(const CertificateRequest& request, CtrDrbg& rng) {
  GATE_TRY_ASSIGN(const P256KeyPair issuer, read_key_pair(request.issuer_key_path));
  GATE_TRY_ASSIGN(const Sec1Point device, read_public_key(request.device_key_path));
  return issue_trc1_certificate(request.fields, device, issuer, rng);
}

// The options of certificate_request().
const std::vector<std::string_view> kCertificateOptions = {
    "issuer-key", "issuer-id",       "key-id",        "device-key",
    "account",    "cert-not-before", "cert-not-after"};

}  // namespace

int cmd_keygen(std::span<char* const> argv) {
  RIDE_CODE_ARG(args, RideCodeArgs::parse(argv, {"out", "pub"}));
  RIDE_CODE_ARG(out, args.text("out"));
  auto rng = CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error(), kFailed);
  auto pair = P256KeyPair::generate(*rng);
  if (!pair.ok()) return fail(pair.error(), kFailed);
  auto private_pem = pair->private_key_pem();
  auto public_pem = pair->public_key_pem();
  if (!private_pem.ok()) return fail(private_pem.error(), kFailed);
  if (!public_pem.ok()) return fail(public_pem.error(), kFailed);
  if (Status s = write_new_file(out, *private_pem, kPrivateKeyMode); !s.ok()) {
    return fail(s.error(), kFailed);
  }
  if (args.has("pub")) {
    if (Status s = write_new_file(*args.text("pub"), *public_pem, kPublicKeyMode); !s.ok()) {
      std::remove(out.c_str());  // no half-made pair left behind to block the next attempt
      return fail(s.error(), kFailed);
    }
  }
  std::cout << to_hex(pair->public_key()) << "\n";
  return 0;
}

int cmd_pubkey(std::span<char* const> argv) {
  RIDE_CODE_ARG(args, RideCodeArgs::parse(argv, {"key"}));
  RIDE_CODE_ARG(path, args.text("key"));
  auto point = read_public_key(path);
  if (!point.ok()) return fail(point.error(), kFailed);
  std::cout << to_hex(*point) << "\n";
  return 0;
}

int cmd_issuer_record(std::span<char* const> argv) {
  RIDE_CODE_ARG(
      args, RideCodeArgs::parse(argv, {"key", "issuer-id", "key-id", "valid-from", "valid-until"},
                                {"revoked"}));
  RIDE_CODE_ARG(path, args.text("key"));
  RIDE_CODE_ARG(issuer, args.number("issuer-id", 0, 65535));
  RIDE_CODE_ARG(key_id, args.number("key-id", 0, 255));
  RIDE_CODE_ARG(from, args.time("valid-from"));
  RIDE_CODE_ARG(until, args.time("valid-until"));
  if (until.instant < from.instant) {
    return fail(make_error(Errc::invalid_argument, "--valid-until is before --valid-from"), kUsage);
  }
  auto point = read_public_key(path);
  if (!point.ok()) return fail(point.error(), kFailed);
  const core::IssuerKey record =
      issuer_key_record(static_cast<std::uint16_t>(issuer), static_cast<std::uint8_t>(key_id),
                        *point, from.instant, until.instant, args.has("revoked"));
  std::cout << issuer_key_record_line(record, from.utc_offset_minutes);
  return 0;
}

int cmd_cert(std::span<char* const> argv) {
  RIDE_CODE_ARG(args, RideCodeArgs::parse(argv, kCertificateOptions));
  RIDE_CODE_ARG(request, certificate_request(args));
  auto rng = CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error(), kFailed);
  auto cert = issue(request, *rng);
  if (!cert.ok()) return fail(cert.error(), kFailed);
  std::cout << trc1_certificate_hex(*cert) << "\n";
  return 0;
}

int cmd_mint(std::span<char* const> argv) {
  std::vector<std::string_view> options = kCertificateOptions;
  options.insert(options.end(), {"cert", "at", "validity", "sequence", "png"});
  RIDE_CODE_ARG(args, RideCodeArgs::parse(argv, options));
  const bool given_cert = args.has("cert");
  for (std::string_view option : kCertificateOptions) {
    if (given_cert && args.has(option) && option != "device-key") {
      return fail(
          make_error(Errc::invalid_argument, "--cert replaces the certificate options; --" +
                                                 std::string(option) + " does not go with it"),
          kUsage);
    }
  }
  std::optional<CertificateRequest> request;
  std::optional<Trc1Certificate> cert;
  if (given_cert) {
    RIDE_CODE_ARG(parsed, parse_trc1_certificate_hex(*args.text("cert")));
    cert = parsed;
  } else {
    RIDE_CODE_ARG(checked, certificate_request(args));
    request = checked;
  }
  RIDE_CODE_ARG(device_path, args.text("device-key"));
  Trc1CodeFields fields;
  if (args.has("at")) {
    RIDE_CODE_ARG(at, args.unix_seconds("at"));
    fields.generated_at = at;
  } else {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    fields.generated_at =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  }
  RIDE_CODE_ARG(validity, args.number("validity", 1, 300, 60));
  RIDE_CODE_ARG(sequence, args.number("sequence", 0, 65535, 0));
  fields.validity_seconds = static_cast<std::uint16_t>(validity);
  fields.sequence = static_cast<std::uint16_t>(sequence);

  auto rng = CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error(), kFailed);
  if (request) {
    auto issued = issue(*request, *rng);
    if (!issued.ok()) return fail(issued.error(), kFailed);
    cert = *issued;
  }
  auto device = read_key_pair(device_path);
  if (!device.ok()) return fail(device.error(), kFailed);
  auto body = mint_trc1_code(*cert, fields, *device, *rng);
  if (!body.ok()) return fail(body.error(), kFailed);
  const std::string text = trc1_text(*body);
  if (args.has("png")) {
    auto symbol = encode_qr_alphanumeric(text);
    if (!symbol.ok()) return fail(symbol.error(), kFailed);
    if (Status s = write_qr_png(*symbol, *args.text("png")); !s.ok())
      return fail(s.error(), kFailed);
  }
  std::cout << text << "\n";
  return 0;
}

}  // namespace gate::sim

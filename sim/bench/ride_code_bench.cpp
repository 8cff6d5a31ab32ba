// ride-code-bench: what a ride code costs the gate, next to what it cannot cost less than. In one
// run it times (a) a bare mbedtls_ecdsa_verify of a P-256 signature, (b) the first code of an
// install through Trc1Verifier (issuer and device signature: two verifies; every install is new
// to the certificate memory), (c) a repeat code of one install (certificate remembered: one
// verify), and reads (d) OpenSSL's `openssl speed -seconds 2 ecdsap256` verify rate for
// comparison. Prints medians, p99 and the ratios to a bare verify (the aims: repeat within 1.1x,
// first within 2.2x). A program that prints numbers, never a pass/fail test.
//   ride-code-bench [--samples N] [--installs N] [--openssl PATH]
#include <mbedtls/ecdsa.h>
#include <mbedtls/version.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/trc1_verifier.h"
#include "sim/bench/bench_flags.h"
#include "sim/gate_sim/summary.h"
#include "sim/ride_code/trc1_issuer.h"

namespace {

using namespace gate;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kNow = 1653253200;  // 2022-05-23T05:00:00+08:00
#ifdef GATE_OPENSSL
constexpr const char* kOpenssl = GATE_OPENSSL;
#else
constexpr const char* kOpenssl = "openssl";
#endif

int fail(const std::string& message) {
  std::cerr << "ride-code-bench: " << message << "\n";
  return 1;
}

std::int64_t elapsed_ns(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count();
}

double median_us(const std::vector<std::int64_t>& ns) {
  return static_cast<double>(sim::percentile(ns, 50)) / 1000.0;
}

void report(const char* what, const std::vector<std::int64_t>& ns) {
  double sum = 0;
  for (std::int64_t v : ns) sum += static_cast<double>(v);
  std::printf("%-52s median %8.1f us   p99 %8.1f us   mean %8.1f us   (n=%zu)\n", what,
              median_us(ns), static_cast<double>(sim::percentile(ns, 99)) / 1000.0,
              sum / static_cast<double>(ns.size()) / 1000.0, ns.size());
}

class OneIssuerKey : public core::IssuerKeySource {
 public:
  explicit OneIssuerKey(core::IssuerKey key) : key_(std::move(key)) {}
  std::optional<core::IssuerKey> find_issuer_key(std::uint16_t issuer_id,
                                                 std::uint8_t key_id) override {
    if (issuer_id != key_.issuer_id || key_id != key_.key_id) return std::nullopt;
    return key_;
  }

 private:
  core::IssuerKey key_;
};

// A bare mbedtls_ecdsa_verify: curve loaded, point, r and s read once, outside the timing.
Result<std::vector<std::int64_t>> time_bare_verify(const sim::P256KeyPair& key, sim::CtrDrbg& rng,
                                                   std::size_t samples) {
  const std::vector<std::uint8_t> message(157, 0x5A);
  GATE_TRY_ASSIGN(const sim::RawSignature signature, key.sign(message, rng));
  const auto digest = core::sha256(message);
  mbedtls_ecp_group group;
  mbedtls_ecp_point point;
  mbedtls_mpi r, s;
  mbedtls_ecp_group_init(&group);
  mbedtls_ecp_point_init(&point);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  std::vector<std::int64_t> ns;
  bool all_good = digest.has_value() &&
                  mbedtls_ecp_group_load(&group, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
                  mbedtls_ecp_point_read_binary(&group, &point, key.public_key().data(), 65) == 0 &&
                  mbedtls_mpi_read_binary(&r, signature.data(), 32) == 0 &&
                  mbedtls_mpi_read_binary(&s, signature.data() + 32, 32) == 0;
  for (std::size_t i = 0; all_good && i < samples; ++i) {
    const auto t0 = Clock::now();
    const int rc = mbedtls_ecdsa_verify(&group, digest->data(), digest->size(), &point, &r, &s);
    ns.push_back(elapsed_ns(t0));
    all_good = rc == 0;
  }
  mbedtls_mpi_free(&s);
  mbedtls_mpi_free(&r);
  mbedtls_ecp_point_free(&point);
  mbedtls_ecp_group_free(&group);
  if (!all_good) return make_error(Errc::io_error, "bare verify failed");
  return ns;
}

// OpenSSL's own figure: `openssl speed -seconds 2 ecdsap256`, the "256 bits ecdsa (nistp256)" line:
// sign time, verify time, sign/s, verify/s.
void report_openssl(const std::string& openssl) {
  const std::string command = "timeout 60 " + openssl + " speed -seconds 2 ecdsap256 2>/dev/null";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::printf("openssl speed: cannot run `%s`\n", command.c_str());
    return;
  }
  std::string output;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  const int status = ::pclose(pipe);
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t at = line.find("ecdsa (nistp256)");
    if (at == std::string::npos) continue;
    std::istringstream fields(line.substr(at + 16));
    std::string sign_time, verify_time;
    double signs = 0, verifies = 0;
    if (fields >> sign_time >> verify_time >> signs >> verifies && verifies > 0) {
      std::printf("%-52s %10.0f verifies/s = %8.1f us per verify (%.0f signs/s)\n",
                  "openssl speed ecdsap256 (OpenSSL's own P-256)", verifies, 1e6 / verifies, signs);
      return;
    }
  }
  std::printf("openssl speed: no nistp256 line in its output (exit status %d)\n", status);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t samples = 1000;
  std::size_t installs = 200;
  std::string openssl = kOpenssl;
  if (!sim::parse_bench_flags(
          argc, argv,
          {sim::count_flag("samples", samples), sim::count_flag("installs", installs),
           sim::text_flag("openssl", openssl)})) {
    return fail("usage: ride-code-bench [--samples N] [--installs N] [--openssl PATH]");
  }

  const std::string_view seed = "ride-code-bench";
  auto rng = sim::CtrDrbg::from_seed(
      std::span(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  if (!rng.ok()) return fail(rng.error().message);
  auto issuer = sim::P256KeyPair::generate(*rng);
  if (!issuer.ok()) return fail(issuer.error().message);
  const Instant from{std::chrono::seconds{kNow - 86400}};
  const Instant until{std::chrono::seconds{kNow + 86400}};
  OneIssuerKey keys(sim::issuer_key_record(1, 1, issuer->public_key(), from, until, false));
  const sim::Trc1CertificateFields fields{1, 1, 0, kNow - 3600, kNow + 3600};

  // Codes: one per new install, and `samples` codes of one install (sequence 0, 1, ...).
  const auto t_mint = Clock::now();
  std::vector<std::string> first_codes;
  std::vector<std::string> repeat_codes;
  for (std::size_t i = 0; i <= installs; ++i) {
    auto device = sim::P256KeyPair::generate(*rng);
    if (!device.ok()) return fail(device.error().message);
    sim::Trc1CertificateFields install = fields;
    install.account_id = 100000000000u + i;
    auto cert = sim::issue_trc1_certificate(install, device->public_key(), *issuer, *rng);
    if (!cert.ok()) return fail(cert.error().message);
    const std::size_t codes = i < installs ? 1 : samples;
    for (std::size_t k = 0; k < codes; ++k) {
      const sim::Trc1CodeFields code{kNow, 300, static_cast<std::uint16_t>(k)};
      auto body = sim::mint_trc1_code(*cert, code, *device, *rng);
      if (!body.ok()) return fail(body.error().message);
      (i < installs ? first_codes : repeat_codes).push_back(sim::trc1_text(*body));
    }
  }
  std::printf("%s; minted %zu codes of %zu installs in %.1f s\n", MBEDTLS_VERSION_STRING_FULL,
              first_codes.size() + repeat_codes.size(), installs + 1, elapsed_ns(t_mint) / 1e9);

  auto bare = time_bare_verify(*issuer, *rng, samples);
  if (!bare.ok()) return fail(bare.error().message);

  const Instant now{std::chrono::seconds{kNow + 1}};
  std::size_t refused = 0;
  std::vector<std::int64_t> first_ns, fresh_ns, repeat_ns;
  {
    core::Trc1Verifier verifier;
    core::InMemoryReplayGuard replay(first_codes.size() + 1);
    for (const std::string& text : first_codes) {
      const auto t0 = Clock::now();
      const auto result = verifier.verify(text, now, keys, replay);
      first_ns.push_back(elapsed_ns(t0));
      refused += !std::holds_alternative<core::RideCodeOk>(result);
    }
    std::printf("first codes: certificate memory %llu hits, %llu misses\n",
                static_cast<unsigned long long>(verifier.cert_memory_stats().hits),
                static_cast<unsigned long long>(verifier.cert_memory_stats().misses));
  }
  for (const std::string& text : first_codes) {
    core::InMemoryReplayGuard replay(4);
    const auto t0 = Clock::now();
    core::Trc1Verifier verifier;
    const auto result = verifier.verify(text, now, keys, replay);
    fresh_ns.push_back(elapsed_ns(t0));
    refused += !std::holds_alternative<core::RideCodeOk>(result);
  }
  {
    core::Trc1Verifier verifier;
    core::InMemoryReplayGuard replay(repeat_codes.size() + 1);
    // The install's first code puts its certificate in the memory; the rest are timed.
    refused += !std::holds_alternative<core::RideCodeOk>(
        verifier.verify(repeat_codes.front(), now, keys, replay));
    for (std::size_t i = 1; i < repeat_codes.size(); ++i) {
      const auto t0 = Clock::now();
      const auto result = verifier.verify(repeat_codes[i], now, keys, replay);
      repeat_ns.push_back(elapsed_ns(t0));
      refused += !std::holds_alternative<core::RideCodeOk>(result);
    }
  }
  if (refused > 0)
    std::printf("WARNING: %zu codes were refused; the numbers mean little\n", refused);

  report("bare mbedtls_ecdsa_verify (P-256)", *bare);
  report("first code of an install (Trc1Verifier, 2 verifies)", first_ns);
  report("  the same with a fresh Trc1Verifier each", fresh_ns);
  if (!repeat_ns.empty()) report("repeat code of an install (1 verify)", repeat_ns);
  report_openssl(openssl);
  const double bare_us = median_us(*bare);
  if (!repeat_ns.empty()) {
    std::printf("repeat / bare (median): %.2fx   (aim: within 1.1x)\n",
                median_us(repeat_ns) / bare_us);
  }
  std::printf("first / bare (median):  %.2fx   (aim: within 2.2x)\n",
              median_us(first_ns) / bare_us);
  return 0;
}

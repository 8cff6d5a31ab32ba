#include "sim/backoffice/feed_commands.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>

#include "firmware/store/iso_time.h"
#include "sim/backoffice/feed_publisher.h"
#include "sim/backoffice/registry.h"
#include "sim/ride_code/pem_file.h"

namespace gate::backoffice {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  gate-backoffice publish --registry REG.db --feed-dir DIR --key FEED_KEY.pem [--snapshot]\n"
    "                          [--expires-in 1h] [--now ISO] [--previous-key OLD.pem]\n"
    "  gate-backoffice feed-key --out KEY.pem [--pub PUB.pem]\n";

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-backoffice: " << message << "\n";
  return code;
}

// "90s", "30m", "1h", "2d".
std::optional<std::chrono::seconds> parse_duration(const std::string& s) {
  long long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || n <= 0 || end + 1 != s.data() + s.size()) return std::nullopt;
  switch (*end) {
    case 's':
      return std::chrono::seconds(n);
    case 'm':
      return std::chrono::minutes(n);
    case 'h':
      return std::chrono::hours(n);
    case 'd':
      return std::chrono::hours(24 * n);
    default:
      return std::nullopt;
  }
}

Result<sim::P256KeyPair> load_key(const std::string& path) {
  GATE_TRY_ASSIGN(std::string pem, sim::read_small_file(path));
  return sim::P256KeyPair::from_pem(pem);
}

int feed_key(std::map<std::string, std::string>& flags) {
  if (!flags.count("out")) return fail(std::string("feed-key needs --out\n") + kUsage, 2);
  auto rng = sim::CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error().message);
  auto key = sim::P256KeyPair::generate(*rng);
  if (!key.ok()) return fail(key.error().message);
  auto pem = key->private_key_pem();
  if (!pem.ok()) return fail(pem.error().message);
  if (auto s = sim::write_new_file(flags["out"], *pem, 0600); !s.ok()) {
    return fail(s.error().message);
  }
  if (flags.count("pub")) {
    auto pub = key->public_key_pem();
    if (!pub.ok()) return fail(pub.error().message);
    if (auto s = sim::write_new_file(flags["pub"], *pub, 0644); !s.ok()) {
      return fail(s.error().message);
    }
  }
  return 0;
}

int publish_command(std::map<std::string, std::string>& flags) {
  for (const char* need : {"registry", "feed-dir", "key"}) {
    if (!flags.count(need)) return fail("publish needs --" + std::string(need) + "\n" + kUsage, 2);
  }
  PublishRequest req;
  req.feed_dir = flags["feed-dir"];
  req.snapshot = flags.count("snapshot") > 0;
  req.now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  if (flags.count("now")) {
    auto t = store::parse_iso8601(flags["now"]);
    if (!t) return fail("--now needs an ISO 8601 time with an offset", 2);
    req.now = *t;
  }
  if (flags.count("expires-in")) {
    auto d = parse_duration(flags["expires-in"]);
    if (!d) return fail("--expires-in needs a duration like 90s, 30m, 1h, 2d", 2);
    req.expires_in = *d;
  }
  if (!std::filesystem::exists(flags["registry"])) {
    return fail("registry " + flags["registry"] + " does not exist");
  }
  auto key = load_key(flags["key"]);
  if (!key.ok()) return fail(flags["key"] + ": " + key.error().message);
  std::optional<sim::P256KeyPair> previous;
  if (flags.count("previous-key")) {
    auto p = load_key(flags["previous-key"]);
    if (!p.ok()) return fail(flags["previous-key"] + ": " + p.error().message);
    previous = std::move(*p);
    req.previous_key = &*previous;
  }
  auto reg = Registry::open(flags["registry"]);
  if (!reg.ok()) return fail(reg.error().message);
  // One read transaction: the sequence published covers exactly the records read.
  auto reading = reg->begin_read();
  if (!reading.ok()) return fail(reading.error().message);
  auto rng = sim::CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error().message);
  auto done = publish(req, *reading, *key, *rng);
  if (!done.ok()) return fail(req.feed_dir + ": " + done.error().message);
  std::cerr << "gate-backoffice: published sequence " << done->sequence
            << (done->file.empty() ? " (manifest renewed)" : " as " + done->file) << "\n";
  return 0;
}

}  // namespace

int run_feed_command(const std::string& command, int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--snapshot") {
      flags["snapshot"] = "1";
      continue;
    }
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      return fail("unexpected argument `" + flag + "`\n" + kUsage, 2);
    }
    flags[flag.substr(2)] = argv[++i];
  }
  return command == "publish" ? publish_command(flags) : feed_key(flags);
}

}  // namespace gate::backoffice

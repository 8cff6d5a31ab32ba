// gate-sim populate: realistic records for N identities (sim/populate), to a file or stdout.
#include <charconv>
#include <fstream>
#include <iostream>

#include "firmware/store/iso_time.h"
#include "sim/gate_sim/commands.h"
#include "sim/populate/populate.h"

namespace gate::sim {
namespace {

std::optional<std::uint64_t> parse_count(const std::string& text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

int cmd_populate(const Args& args) {
  PopulateOptions options;
  auto identities = args.get("identities");
  auto n = identities ? parse_count(*identities) : std::nullopt;
  if (!n || *n == 0) {
    std::cerr << "gate-sim: populate needs --identities N (a positive whole number)\n";
    return 2;
  }
  options.identities = *n;
  if (auto seed = args.get("seed")) {
    auto s = parse_count(*seed);
    if (!s) {
      std::cerr << "gate-sim: --seed: expected a whole number\n";
      return 2;
    }
    options.seed = *s;
  }
  if (auto as_of = args.get("as-of")) {
    auto t = store::parse_iso8601(*as_of);
    if (!t) {
      std::cerr << "gate-sim: --as-of: expected an ISO 8601 time with offset\n";
      return 2;
    }
    options.as_of = *t;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (auto path = args.get("out")) {
    file.open(*path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "gate-sim: cannot write " << *path << "\n";
      return 1;
    }
    out = &file;
  }
  auto summary = write_population(*out, options);
  if (summary.ok()) out->flush();
  if (!summary.ok() || !*out) {
    std::cerr << "gate-sim: populate: "
              << (summary.ok() ? std::string("write failed") : summary.error().message) << "\n";
    return 1;
  }
  std::cerr << "gate-sim: " << summary->identities_written << " identities, "
            << summary->credentials_written << " credentials, " << summary->health_written
            << " health, " << summary->deny_written << " deny, " << summary->policies_written
            << " policy records\n";
  return 0;
}

}  // namespace gate::sim

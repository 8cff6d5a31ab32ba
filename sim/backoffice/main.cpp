// gate-backoffice: the reference back office's binding registry. Subcommands:
//   apply    apply a file of upgrade operations (all of it, or nothing)
//   records  write the full current state as records.md JSON lines
//   changes  write the records changed after a sequence number
// and, in feed_commands.h and collector_commands.h, the feed publisher's and the journal
// collector's (collect, trace, gates).
// Exit status: 0 success, 1 the work failed (a refused operation, a bad file), 2 usage.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "sim/backoffice/collector_commands.h"
#include "sim/backoffice/feed_commands.h"
#include "sim/backoffice/registry.h"

namespace {

using gate::backoffice::Registry;

constexpr const char* kUsage =
    "usage:\n"
    "  gate-backoffice apply --registry REG.db --ops FILE.jsonl\n"
    "  gate-backoffice records --registry REG.db [--out FILE]\n"
    "  gate-backoffice changes --registry REG.db [--since N] [--out FILE]\n"
    "  gate-backoffice collect | trace | gates   (the journal collector; alone, each prints its "
    "usage)\n";

using Flags = std::map<std::string, std::string>;

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-backoffice: " << message << "\n";
  return code;
}

// Writes `text` to --out, or to stdout without it.
int emit(const Flags& flags, const std::string& text) {
  auto out = flags.find("out");
  if (out == flags.end()) {
    std::cout << text << std::flush;
    return std::cout ? 0 : fail("cannot write to stdout");
  }
  std::ofstream file(out->second, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  return file ? 0 : fail("cannot write " + out->second);
}

int cmd_apply(Registry& reg, const Flags& flags) {
  auto path = flags.find("ops");
  if (path == flags.end()) return fail(std::string("apply needs --ops\n") + kUsage, 2);
  std::ifstream in(path->second);
  if (!in) return fail("operations file " + path->second + " cannot be opened");
  auto ops = gate::backoffice::parse_operations(in);
  if (!ops.ok()) return fail(path->second + ": " + ops.error().message);
  auto seq = reg.apply(*ops);
  if (!seq.ok()) return fail(path->second + ": " + seq.error().message + " (nothing applied)");
  std::cerr << "gate-backoffice: applied " << ops->size() << " operations, sequence " << *seq
            << "\n";
  return 0;
}

int cmd_changes(Registry& reg, const Flags& flags) {
  std::uint64_t since = 0;
  if (auto it = flags.find("since"); it != flags.end()) {
    const std::string& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), since);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return fail("--since needs a sequence number, got `" + s + "`", 2);
    }
  }
  auto text = reg.changes(since);
  if (!text.ok()) return fail(text.error().message);
  auto seq = reg.sequence();
  if (!seq.ok()) return fail(seq.error().message);
  std::cerr << "gate-backoffice: sequence " << *seq << "\n";
  return emit(flags, *text);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "publish" || command == "feed-key") {
    return gate::backoffice::run_feed_command(command, argc, argv);
  }
  if (gate::backoffice::is_collector_command(command)) {
    return gate::backoffice::run_collector_command(command, argc, argv);
  }
  if (command != "apply" && command != "records" && command != "changes") {
    return fail("unknown command `" + command + "`\n" + kUsage, 2);
  }
  Flags flags;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      return fail("unexpected argument `" + flag + "`\n" + kUsage, 2);
    }
    flags[flag.substr(2)] = argv[++i];
  }
  auto reg_path = flags.find("registry");
  if (reg_path == flags.end()) return fail(command + " needs --registry\n" + kUsage, 2);
  if (command != "apply" && !std::filesystem::exists(reg_path->second)) {
    return fail("registry " + reg_path->second + " does not exist");
  }
  auto reg = Registry::open(reg_path->second);
  if (!reg.ok()) return fail(reg_path->second + ": " + reg.error().message);
  if (command == "apply") return cmd_apply(*reg, flags);
  if (command == "changes") return cmd_changes(*reg, flags);
  auto text = reg->records();
  if (!text.ok()) return fail(text.error().message);
  return emit(flags, *text);
}

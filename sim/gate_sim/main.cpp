// gate-sim: the simulator's command line. Subcommands:
//   cache-build  build a cache from JSON Lines records
//   run          run the real gate loop on simulated devices, from a scenario or interactively;
//                with --operations, from a cache synced from the reference back office first
//   populate     write realistic records for N identities
//   journal      print a journal's entries as JSON lines
//   pn532        an emulated PN532 reader on a pseudo-terminal, for libnfc
//   upload       upload a journal to the back office's collector until nothing is pending
//   generate     write one service day's scenario (the soak's riders)
//   soak         run service days through the gate and check the journal and the memory
#include <iostream>
#include <string>

#include "sim/gate_sim/commands.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  gate-sim cache-build --records FILE.jsonl --out CACHE [--synced-at ISO-TIME]\n"
    "  gate-sim run --cache CACHE --gate LINE:STATION:GATE:entry|exit\n"
    "               (--scenario FILE | --interactive) [--reader direct|pn532]\n"
    "               [--scanner direct|serial] [--journal PATH] [--config FILE]\n"
    "               [--set KEY=VALUE]...\n"
    "  gate-sim run --operations OPS.jsonl [--feed-dir DIR] [--cache NEW_CACHE]\n"
    "               --gate ... (--scenario FILE | --interactive) [run's other flags]\n"
    "      the operations applied to a scratch registry, published as a signed feed and synced\n"
    "      into a new cache over HTTPS from a loopback server (with --feed-dir: published into\n"
    "      DIR and synced from it directly) before the run starts\n"
    "  gate-sim populate --identities N [--seed S] [--as-of ISO-TIME] [--out FILE]\n"
    "  gate-sim journal --journal PATH\n"
    "  gate-sim pn532 --link PATH [--card KEY]...\n"
    "  gate-sim sync --feed-dir DIR --cache CACHE --feed-key PUB.pem [--now ISO]\n"
    "  gate-sim upload --journal PATH --gate LINE:STATION:GATE:entry|exit [--config FILE]\n"
    "               [--set KEY=VALUE]... [--timeout 60s]\n"
    "      the journal's rows sent to collector_url until the collector holds them all\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  gate::sim::Args args;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--interactive") {
      args.flags["interactive"].push_back("1");
      continue;
    }
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << "gate-sim: unexpected argument `" << flag << "`\n" << kUsage;
      return 2;
    }
    args.flags[flag.substr(2)].push_back(argv[++i]);
  }
  if (command == "cache-build") return gate::sim::cmd_cache_build(args);
  if (command == "run") {
    return args.has("operations") ? gate::sim::cmd_run_backoffice(args) : gate::sim::cmd_run(args);
  }
  if (command == "populate") return gate::sim::cmd_populate(args);
  if (command == "journal") return gate::sim::cmd_journal(args);
  if (command == "pn532") return gate::sim::cmd_pn532(args);
  if (command == "sync") return gate::sim::cmd_sync(args);
  if (command == "upload") return gate::sim::cmd_upload(args);
  if (command == "generate") return gate::sim::cmd_generate(args);
  if (command == "soak") return gate::sim::cmd_soak(args);
  if (command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "gate-sim: unknown command `" << command << "`\n" << kUsage;
  return 2;
}

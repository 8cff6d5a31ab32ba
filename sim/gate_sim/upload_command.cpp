// gate-sim upload --journal J --gate G [--config F] [--set KEY=VALUE]... [--timeout 60s]: the
// gate's journal uploader (firmware/sync) run once to the end on this thread: rounds until the
// collector acknowledged every chained row, backing off between failed rounds as the gate's thread
// does, or giving up at the timeout; at once when the collector refuses the chain (a tampered
// journal does not heal by retrying). For a journal left behind by a run (or a killed gate).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "drivers/system_clock.h"
#include "firmware/app/gate_runtime.h"
#include "sim/gate_sim/commands.h"

namespace gate::sim {

int cmd_upload(const Args& args) {
  auto config = config_from_args(args, {"gate", "journal"});
  if (!config.ok()) {
    std::cerr << "gate-sim: " << config.error().message << "\n";
    return 2;
  }
  if (config->journal_path.empty() || config->gate.line.empty()) {
    std::cerr << "gate-sim: upload needs --journal PATH and --gate LINE:STATION:GATE:DIR\n";
    return 2;
  }
  if (config->collector.url.empty()) {
    std::cerr << "gate-sim: upload needs collector_url (and collector_ca) in --config or --set\n";
    return 2;
  }
  auto timeout = app::parse_duration(args.get("timeout").value_or("60s"));
  if (!timeout.ok()) {
    std::cerr << "gate-sim: --timeout: " << timeout.error().message << "\n";
    return 2;
  }
  if (!std::filesystem::exists(config->journal_path)) {
    std::cerr << "gate-sim: no journal at " << config->journal_path << "\n";
    return 1;
  }
  // The simulator's public test secret unless the configuration names one, as `run` chains.
  if (config->journal_secret.empty()) config->journal_secret = app::simulator_journal_secret();

  drivers::SystemClock clock;
  auto uploader = app::make_journal_uploader(*config, clock);
  if (!uploader.ok()) {
    std::cerr << "gate-sim: " << uploader.error().message << "\n";
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  int failures = 0;
  std::string last_error;
  while (true) {
    auto round = (*uploader)->run_once(clock.wall_now());
    if (round.ok() && round->pending == 0) {
      std::cerr << "gate-sim: uploaded: acked " << (*uploader)->status().acked << "\n";
      return 0;
    }
    failures = round.ok() ? 0 : failures + 1;
    if (!round.ok()) last_error = round.error().message;
    if (!round.ok() && (*uploader)->status().refusal) {
      // A refused chain stays refused: say so now instead of at the timeout.
      std::cerr << "gate-sim: upload stopped: " << last_error << "\n";
      return 1;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // Rows appended meanwhile (a gate still running on the file): go again at once.
    const Duration delay =
        round.ok() ? Duration::zero()
                   : sync::next_upload_delay(config->collector.upload_interval,
                                             config->collector.upload_backoff_max, failures);
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(delay, deadline - now));
  }
  std::cerr << "gate-sim: upload gave up after " << args.get("timeout").value_or("60s") << " with "
            << (*uploader)->status().pending << " row(s) pending"
            << (last_error.empty() ? std::string() : ": " + last_error) << "\n";
  return 1;
}

}  // namespace gate::sim

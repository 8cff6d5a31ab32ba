// gate-sim's subcommands. Each returns the process exit code: 0 success, 1 a failure of the work
// (a bad records file, a journal that cannot be written), 2 a usage error.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "firmware/app/config.h"
#include "hal/result.h"

namespace gate::sim {

struct Args {
  std::map<std::string, std::vector<std::string>> flags;  // --name value (repeatable)
  std::optional<std::string> get(const std::string& name) const;
  bool has(const std::string& name) const { return flags.count(name) > 0; }
};

// The configuration of a gate from --config FILE (paths not required), then the flags named in
// `key_flags` (--gate, --journal, ...: config keys), then each --set KEY=VALUE, in that order.
Result<app::Config> config_from_args(const Args& args,
                                     std::initializer_list<const char*> key_flags);

int cmd_cache_build(const Args& args);
int cmd_run(const Args& args);
// run --operations FILE: operations published and synced into the cache first (backoffice_run.cpp).
int cmd_run_backoffice(const Args& args);
int cmd_populate(const Args& args);
int cmd_journal(const Args& args);
int cmd_pn532(const Args& args);
int cmd_sync(const Args& args);
// upload --journal J --gate G [--config F] [--set K=V]... [--timeout 60s] (upload_command.cpp).
int cmd_upload(const Args& args);
// generate (one service day's scenario) and soak (days of them through the gate, checked), in
// soak_command.cpp.
int cmd_generate(const Args& args);
int cmd_soak(const Args& args);

}  // namespace gate::sim

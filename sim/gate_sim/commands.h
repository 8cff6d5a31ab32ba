// gate-sim's subcommands. Each returns the process exit code: 0 success, 1 a failure of the work
// (a bad records file, a journal that cannot be written), 2 a usage error.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gate::sim {

struct Args {
  std::map<std::string, std::vector<std::string>> flags;  // --name value (repeatable)
  std::optional<std::string> get(const std::string& name) const;
  bool has(const std::string& name) const { return flags.count(name) > 0; }
};

int cmd_cache_build(const Args& args);
int cmd_run(const Args& args);
// run --operations FILE: operations published and synced into the cache first (backoffice_run.cpp).
int cmd_run_backoffice(const Args& args);
int cmd_populate(const Args& args);
int cmd_journal(const Args& args);
int cmd_pn532(const Args& args);
int cmd_sync(const Args& args);

}  // namespace gate::sim

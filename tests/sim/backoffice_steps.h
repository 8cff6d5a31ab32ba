// The back office's steps as the end-to-end tests take them, through the real programs in a
// test's directory: `reg.db` the registry, `feed/` the published feed, `feed.pem`/`feed.pub` the
// feed key, `synced.db` the gate's cache.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "tests/support/temp_dir.h"

namespace gate::test {

// gate-backoffice (or, with `sim`, gate-sim) with `argv`; its exit code.
inline int run_tool(std::vector<std::string> argv, bool sim = false) {
  return run_to_end(sim ? gate_sim(std::move(argv)) : gate_backoffice(std::move(argv))).exit_code;
}

// Makes the feed directory and key.
inline int make_feed(const TempDir& dir) {
  std::filesystem::create_directory(dir.file("feed"));
  return run_tool({"feed-key", "--out", dir.file("feed.pem"), "--pub", dir.file("feed.pub")});
}

// `gate-backoffice apply` of `ops`, written to `name` first.
inline int apply_ops(const TempDir& dir, const std::string& name, const std::string& ops) {
  std::ofstream(dir.file(name)) << ops;
  return run_tool({"apply", "--registry", dir.file("reg.db"), "--ops", dir.file(name)});
}

inline int publish(const TempDir& dir, const std::string& now) {
  return run_tool({"publish", "--registry", dir.file("reg.db"), "--feed-dir", dir.file("feed"),
                   "--key", dir.file("feed.pem"), "--now", now});
}

// apply_ops, then publish: 0, or the failing step's exit code (-1 for a refused apply).
inline int apply_and_publish(const TempDir& dir, const std::string& name, const std::string& ops,
                             const std::string& now) {
  if (apply_ops(dir, name, ops) != 0) return -1;
  return publish(dir, now);
}

// `gate-sim sync` of synced.db from the feed directory.
inline int sync_feed(const TempDir& dir, const std::string& now) {
  return run_tool({"sync", "--feed-dir", dir.file("feed"), "--cache", dir.file("synced.db"),
                   "--feed-key", dir.file("feed.pub"), "--now", now},
                  true);
}

}  // namespace gate::test

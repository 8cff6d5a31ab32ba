// GateRuntime: the firmware half of a composition root, shared by the board program and the
// simulator. Given the devices a root picked, it opens the journal and the cache, rebuilds the
// anti-passback memory from the journal and starts the main loop. The roots differ only in their
// devices and in how they drive run_once().
#pragma once

#include <memory>
#include <optional>

#include "firmware/app/config.h"
#include "firmware/gate/main_loop.h"
#include "firmware/gate/validator.h"
#include "firmware/store/cache.h"
#include "firmware/store/durable_replay_guard.h"
#include "firmware/store/journal.h"
#include "firmware/store/passback_memory.h"
#include "hal/result.h"

namespace gate::app {

class GateRuntime {
 public:
  // Opens the journal (required: a gate that cannot record does not run) with the ride-code
  // replay memory in its file, and the cache (missing or unusable: the gate starts out of
  // service, logged, as decisions.md row 2 wants), loads the anti-passback memory from the
  // journal's last day and starts the loop at `now` (relay closed, a start-up event journaled).
  // `devices` must outlive the runtime.
  static Result<std::unique_ptr<GateRuntime>> start(const Config& config, control::Devices devices,
                                                    control::LoopConfig loop_config, Instant now,
                                                    control::EntryObserver observer = {});

  control::MainLoop& loop() { return *loop_; }
  bool cache_usable() const { return cache_.has_value(); }

 private:
  GateRuntime() = default;

  std::optional<store::CacheReader> cache_;
  std::optional<store::Journal> journal_;
  std::optional<store::DurableReplayGuard> replay_;
  store::PassbackMemory passback_;
  std::unique_ptr<control::Validator> validator_;
  std::unique_ptr<control::MainLoop> loop_;
};

}  // namespace gate::app

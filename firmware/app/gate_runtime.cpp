#include "firmware/app/gate_runtime.h"

#include "hal/log.h"

namespace gate::app {
namespace {
// How far back the anti-passback memory is rebuilt from the journal at start-up: longer than any
// sensible anti_passback_minutes.
constexpr Duration kPassbackHorizon = std::chrono::hours(24);
}  // namespace

Result<std::unique_ptr<GateRuntime>> GateRuntime::start(const Config& config,
                                                        control::Devices devices,
                                                        control::LoopConfig loop_config,
                                                        Instant now,
                                                        control::EntryObserver observer) {
  std::unique_ptr<GateRuntime> rt(new GateRuntime());
  GATE_TRY_ASSIGN(store::Journal journal, store::Journal::open(config.journal_path));
  rt->journal_.emplace(std::move(journal));
  GATE_TRY_ASSIGN(store::DurableReplayGuard replay,
                  store::DurableReplayGuard::open(rt->journal_->db()));
  rt->replay_.emplace(std::move(replay));
  auto cache = store::CacheReader::open(config.cache_path);
  if (cache.ok()) {
    rt->cache_.emplace(std::move(*cache));
  } else {
    log(LogLevel::error, "app", "cache unusable, gate out of service: " + cache.error().message);
  }
  GATE_TRY(rt->passback_.load(*rt->journal_, now - kPassbackHorizon));
  core::Trc1Options code_options;
  code_options.skew = config.code_skew;
  rt->validator_ = std::make_unique<control::Validator>(
      config.gate, rt->cache_ ? &*rt->cache_ : nullptr, rt->passback_, code_options, &*rt->replay_);
  rt->loop_ = std::make_unique<control::MainLoop>(devices, *rt->validator_, *rt->journal_,
                                                  config.gate, loop_config, std::move(observer));
  GATE_TRY(rt->loop_->start());
  return rt;
}

}  // namespace gate::app

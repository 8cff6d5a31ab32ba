// SimIndicator: a simulated display, lights and buzzer that records everything shown with the
// clock's monotonic time, plus fault control. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "hal/clock.h"
#include "hal/indicator.h"
#include "hal/time.h"

namespace gate::sim {

// One accepted show(): `state` was shown from `at` on.
struct IndicatorShown {
  MonoInstant at{};
  hal::IndicatorState state;
  bool operator==(const IndicatorShown&) const = default;
};

class SimIndicator final : public hal::Indicator {
 public:
  // `clock` stamps the history; it must outlive the indicator. It starts blank (a default state).
  explicit SimIndicator(const hal::Clock& clock) : clock_(clock) {}

  // While true, show() fails with Errc::io_error and the indicator keeps what it showed.
  void set_fails(bool fails);
  // What is shown now.
  hal::IndicatorState current() const;
  // Every accepted show(), oldest first, including one that repeats the state already shown (two
  // denials in a row are two entries).
  std::vector<IndicatorShown> history() const;

 private:
  Status do_show(const hal::IndicatorState& state) override;

  const hal::Clock& clock_;
  mutable std::mutex mu_;
  hal::IndicatorState current_;
  std::vector<IndicatorShown> history_;
  bool fails_ = false;
};

}  // namespace gate::sim

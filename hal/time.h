// Time types. Wall time is UTC; monotonic time never jumps and measures durations and timeouts.
#pragma once

#include <chrono>

namespace gate {

using Duration = std::chrono::microseconds;
// A UTC instant (microseconds since the Unix epoch).
using Instant = std::chrono::sys_time<std::chrono::microseconds>;
// A monotonic instant; only differences between two of them mean anything.
using MonoInstant = std::chrono::time_point<std::chrono::steady_clock, std::chrono::microseconds>;

}  // namespace gate

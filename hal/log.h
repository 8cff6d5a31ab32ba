// Logging: one line per event that matters, with a module tag. Never credential keys or identity
// data (use core::mask_credential). The sink is replaceable so the simulator and tests can capture
// or silence it; the default writes to stderr.
#pragma once

#include <functional>
#include <string_view>

namespace gate {

enum class LogLevel { debug, info, warning, error };

using LogSink = std::function<void(LogLevel, std::string_view tag, std::string_view message)>;

// Replaces the sink (nullptr restores the stderr default). Thread-safe: log() and set_log_sink()
// take one mutex, so lines from the decision loop and the feed sync thread never interleave and a
// sink is never replaced while it runs. A sink must not call log() itself.
void set_log_sink(LogSink sink);
void log(LogLevel level, std::string_view tag, std::string_view message);

}  // namespace gate

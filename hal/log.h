// Logging: one line per event that matters, with a module tag. Never credential keys or identity
// data (use core::mask_credential). The sink is replaceable so the simulator and tests can capture
// or silence it; the default writes to stderr.
#pragma once

#include <functional>
#include <string_view>

namespace gate {

enum class LogLevel { debug, info, warning, error };

using LogSink = std::function<void(LogLevel, std::string_view tag, std::string_view message)>;

// Replaces the sink (nullptr restores the stderr default). Not thread-safe against concurrent
// log().
void set_log_sink(LogSink sink);
void log(LogLevel level, std::string_view tag, std::string_view message);

}  // namespace gate

#include "hal/log.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace gate {
namespace {

LogSink& sink() {
  static LogSink s;
  return s;
}

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "?";
}

}  // namespace

void set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}

void log(LogLevel level, std::string_view tag, std::string_view message) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) {
    sink()(level, tag, message);
    return;
  }
  std::string line =
      std::string(level_name(level)) + " [" + std::string(tag) + "] " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gate

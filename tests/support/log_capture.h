// Captures the log lines of one test (hal/log.h) instead of printing them; the default sink is
// back at scope exit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hal/log.h"

namespace gate::test {

class LogCapture {
 public:
  struct Line {
    LogLevel level;
    std::string tag;
    std::string message;
  };

  LogCapture() {
    set_log_sink([this](LogLevel level, std::string_view tag, std::string_view message) {
      lines_.push_back({level, std::string(tag), std::string(message)});
    });
  }
  ~LogCapture() { set_log_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The messages logged at `level` under `tag`, in order.
  std::vector<std::string> messages(LogLevel level, std::string_view tag) const {
    std::vector<std::string> out;
    for (const Line& line : lines_) {
      if (line.level == level && line.tag == tag) out.push_back(line.message);
    }
    return out;
  }

 private:
  std::vector<Line> lines_;
};

}  // namespace gate::test

// The process's own memory as the kernel counts it (/proc/self/status): VmRSS, the resident set
// now, and VmHWM, its peak. For the soak's "memory flat after warm-up" check; Linux only.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

namespace gate::sim {

struct ProcessMemory {
  std::uint64_t rss_kib = 0;
  std::uint64_t hwm_kib = 0;
};

// std::nullopt where /proc/self/status cannot be read or lacks the fields.
inline std::optional<ProcessMemory> process_memory() {
  std::ifstream status("/proc/self/status");
  ProcessMemory m;
  bool rss = false, hwm = false;
  for (std::string line; std::getline(status, line);) {
    auto value = [&line](const char* field, std::uint64_t& out) {
      const std::string prefix = std::string(field) + ":";
      if (line.rfind(prefix, 0) != 0) return false;
      out = std::stoull(line.substr(prefix.size()));  // "   1234 kB": stoull skips the blanks
      return true;
    };
    rss = value("VmRSS", m.rss_kib) || rss;
    hwm = value("VmHWM", m.hwm_kib) || hwm;
  }
  if (!rss || !hwm) return std::nullopt;
  return m;
}

}  // namespace gate::sim

// The benchmarks' command lines: `--name value` pairs. A flag not listed, one without its value,
// or a value that does not parse is a usage error: a benchmark never runs on defaults its user did
// not ask for while printing numbers as if it had.
#pragma once

#include <charconv>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace gate::sim {

struct BenchFlag {
  std::string_view name;                      // without the leading "--"
  std::function<bool(std::string_view)> set;  // false: the value does not parse
};

// A positive whole number into `target`.
template <typename T>
BenchFlag count_flag(std::string_view name, T& target) {
  return {name, [&target](std::string_view v) {
            T n{};
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n <= T{}) return false;
            target = n;
            return true;
          }};
}

// Any non-empty text (a path) into `target`.
inline BenchFlag text_flag(std::string_view name, std::string& target) {
  return {name, [&target](std::string_view v) {
            target = std::string(v);
            return !v.empty();
          }};
}

// Sets the flags given in argv; false on any usage error.
inline bool parse_bench_flags(int argc, char** argv, std::initializer_list<BenchFlag> flags) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc || !flag.starts_with("--")) return false;
    const BenchFlag* match = nullptr;
    for (const BenchFlag& f : flags) {
      if (flag.substr(2) == f.name) match = &f;
    }
    if (match == nullptr || !match->set(argv[i + 1])) return false;
  }
  return true;
}

}  // namespace gate::sim

// The ride-code tool's options: `--name value` pairs and bare `--name` switches, checked against
// what each subcommand accepts, and typed readers that name the option when a value is wrong.
// Every error here is a usage error (the tool exits 2).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hal/result.h"
#include "hal/time.h"

namespace gate::sim {

class RideCodeArgs {
 public:
  // Parses `argv` (the words after the subcommand). Options outside `values` and `switches`, a
  // value missing, or an option given twice are Errc::invalid_argument.
  static Result<RideCodeArgs> parse(std::span<char* const> argv,
                                    const std::vector<std::string_view>& values,
                                    const std::vector<std::string_view>& switches = {});

  bool has(std::string_view name) const;
  // The option's text; Errc::invalid_argument "--name is required" when it is absent.
  Result<std::string> text(std::string_view name) const;
  // An unsigned integer in min..max, or `fallback` when the option is absent.
  Result<std::uint64_t> number(std::string_view name, std::uint64_t min, std::uint64_t max,
                               std::optional<std::uint64_t> fallback = std::nullopt) const;
  // An ISO 8601 time with an offset (records.md form), and the offset it was written in.
  struct Time {
    Instant instant{};
    int utc_offset_minutes = 0;
  };
  Result<Time> time(std::string_view name) const;
  // A time as a TRC1 field: a whole second in 1970..2106 (Unix seconds that fit 32 bits).
  Result<std::uint32_t> unix_seconds(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace gate::sim

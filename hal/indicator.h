// Indicator: what the rider sees and hears: the display (Chinese and English text), the lights and
// the buzzer.
#pragma once

#include <string>

#include "hal/result.h"

namespace gate::hal {

enum class Light { off, green, amber, red };

struct IndicatorState {
  Light light = Light::off;
  bool buzzer = false;
  std::string text_zh;  // UTF-8
  std::string text_en;
  std::string detail;  // second line: balance, health colour, ...; may be empty
  bool operator==(const IndicatorState&) const = default;
};

class Indicator {
 public:
  virtual ~Indicator() = default;
  // Shows `state` until the next call. Errc::io_error if the display did not take it.
  Status show(const IndicatorState& state) { return do_show(state); }

 private:
  virtual Status do_show(const IndicatorState& state) = 0;
};

}  // namespace gate::hal

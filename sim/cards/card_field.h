// CardField: where a scenario puts emulated cards, whichever reader then finds them: the simulated
// reader (SimCardReader) or the PN532 emulator that the real libnfc driver polls.
#pragma once

#include <memory>
#include <vector>

#include "sim/cards/emulated_card.h"

namespace gate::sim {

class CardField {
 public:
  virtual ~CardField() = default;
  // The cards enter the field together (each one's enter_field() is called).
  virtual void place_many(const std::vector<std::shared_ptr<EmulatedCard>>& cards) = 0;
  // Every card leaves the field.
  virtual void remove_all() = 0;
};

}  // namespace gate::sim

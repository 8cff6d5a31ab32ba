#include "sim/cards/data_responder.h"

#include <algorithm>

#include "sim/cards/card_command.h"

namespace gate::sim {
namespace {

hal::Bytes more_data(std::size_t available, std::size_t chunk) {
  return status_reply(static_cast<std::uint16_t>(0x6100 | (std::min(available, chunk) & 0xFF)));
}

}  // namespace

hal::Bytes DataResponder::answer(std::span<const std::uint8_t> data,
                                 std::optional<std::size_t> le) {
  pending_.clear();
  if (data.empty()) return status_reply(kSwOk);
  if (style_.wants_exact_le && le != data.size()) {
    return status_reply(static_cast<std::uint16_t>(0x6C00 | (data.size() & 0xFF)));
  }
  const std::size_t n = std::min(le.value_or(256), data.size());
  if (style_.chain_61xx) {
    pending_.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    return more_data(pending_.size(), style_.chunk);
  }
  return data_reply(data.first(n));
}

hal::Bytes DataResponder::get_response(std::size_t le) {
  if (pending_.empty()) return status_reply(kSwConditionsNotSatisfied);
  const std::size_t n = std::min(le, pending_.size());
  hal::Bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  if (pending_.empty()) return data_reply(out);
  hal::Bytes reply = more_data(pending_.size(), style_.chunk);
  out.insert(out.end(), reply.begin(), reply.end());
  return out;
}

}  // namespace gate::sim

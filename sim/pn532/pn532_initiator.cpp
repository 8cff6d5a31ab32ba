#include "sim/pn532/pn532_initiator.h"

#include <algorithm>
#include <utility>

namespace gate::sim::pn532 {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kBrTyTypeA106 = 0x00;
constexpr std::uint8_t kBrTyLast = 0x04;  // 01, 02 FeliCa; 03 type B; 04 Jewel
constexpr std::uint8_t kEndless = 0xFF;
constexpr std::size_t kMaxTargets = 2;
constexpr std::size_t kMaxDataIn = 262;  // longest DataIn of one InDataExchange reply
constexpr std::uint8_t kMoreInformation = 0x40;
constexpr std::uint8_t kTgMask = 0x3F;
constexpr std::uint8_t kPollGeneric106 = 0x00;
constexpr std::uint8_t kPollMifare = 0x10;
constexpr std::uint8_t kPollIso14443_4A = 0x20;
constexpr std::size_t kMaxPollTypes = 15;
constexpr auto kPollPeriodUnit = 150ms;

// Hosts give a 7- or 10-byte UID to select with its cascade tags (88 ...), as anti-collision
// sends it; the card's UID is without them.
hal::Bytes strip_cascade_tags(std::span<const std::uint8_t> uid) {
  if (uid.size() == 8 && uid[0] == 0x88) return hal::Bytes(uid.begin() + 1, uid.end());
  if (uid.size() == 12 && uid[0] == 0x88 && uid[4] == 0x88) {
    hal::Bytes out(uid.begin() + 1, uid.begin() + 4);
    out.insert(out.end(), uid.begin() + 5, uid.end());
    return out;
  }
  return hal::Bytes(uid.begin(), uid.end());
}

// The InAutoPoll target type a card shows when polled for `wanted`, or nullopt if it does not.
std::optional<std::uint8_t> poll_type(std::uint8_t wanted, bool iso14443_4) {
  if (wanted == kPollMifare) return kPollMifare;
  if (wanted == kPollIso14443_4A && iso14443_4) return kPollIso14443_4A;
  if (wanted == kPollGeneric106) return iso14443_4 ? kPollIso14443_4A : kPollMifare;
  return std::nullopt;
}

}  // namespace

bool InitiatorCommands::handles(std::uint8_t code) {
  switch (static_cast<Command>(code)) {
    case Command::in_data_exchange:
    case Command::in_communicate_thru:
    case Command::in_deselect:
    case Command::in_list_passive_target:
    case Command::in_release:
    case Command::in_select:
    case Command::in_auto_poll:
      return true;
    default:
      return false;
  }
}

CommandResult InitiatorCommands::execute(std::uint8_t code, std::span<const std::uint8_t> params,
                                         const InitiatorSettings& settings, SteadyTime now) {
  waiting_.reset();
  switch (static_cast<Command>(code)) {
    case Command::in_list_passive_target:
      return list_passive_target(params, settings);
    case Command::in_auto_poll:
      return auto_poll(params, settings, now, std::nullopt);
    case Command::in_data_exchange:
      return data_exchange(params);
    case Command::in_communicate_thru: {
      // Empty data is allowed: libnfc polls Thinfilm barcodes that way; nothing answers here.
      Exchange ex = field_.communicate_thru(params);
      hal::Bytes out{ex.status};
      out.insert(out.end(), ex.data.begin(), ex.data.end());
      return make_reply(std::move(out));
    }
    case Command::in_select:
      if (params.size() != 1) return make_syntax_error();
      return make_reply({field_.select(params[0])});
    case Command::in_deselect:
      if (params.size() != 1) return make_syntax_error();
      return make_reply({field_.deselect(params[0])});
    case Command::in_release:
      if (params.size() != 1) return make_syntax_error();
      return make_reply({field_.release(params[0])});
    default:
      return make_syntax_error();
  }
}

CommandResult InitiatorCommands::resume(SteadyTime now) {
  if (!waiting_) return make_waiting();
  Waiting w = std::move(*waiting_);
  waiting_.reset();
  if (w.command == Command::in_list_passive_target) {
    return list_passive_target(w.params, w.settings);
  }
  return auto_poll(w.params, w.settings, now, w.deadline);
}

std::optional<SteadyTime> InitiatorCommands::deadline() const {
  return waiting_ ? waiting_->deadline : std::nullopt;
}

CommandResult InitiatorCommands::list_passive_target(std::span<const std::uint8_t> params,
                                                     const InitiatorSettings& settings) {
  if (params.size() < 2 || params[0] < 1 || params[0] > kMaxTargets || params[1] > kBrTyLast) {
    return make_syntax_error();
  }
  field_.set_powered(true);  // the PN532 switches its field on to poll
  field_.clear_targets();
  std::vector<std::shared_ptr<EmulatedCard>> found;
  if (params[1] == kBrTyTypeA106) {
    if (params.size() > 2) {
      if (auto card = field_.find_uid(strip_cascade_tags(params.subspan(2)))) found.push_back(card);
    } else {
      found = field_.answering();
    }
  }
  if (found.empty()) {
    if (settings.passive_activation_retries != kEndless) return make_reply({0x00});
    waiting_ = Waiting{Command::in_list_passive_target, hal::Bytes(params.begin(), params.end()),
                       settings, std::nullopt};
    return make_waiting();
  }
  if (found.size() > params[0]) found.resize(params[0]);
  hal::Bytes out{static_cast<std::uint8_t>(found.size())};
  for (const auto& card : found) {
    hal::Bytes data = RfField::target_data(field_.activate(card, settings.auto_rats));
    out.insert(out.end(), data.begin(), data.end());
  }
  return make_reply(std::move(out));
}

CommandResult InitiatorCommands::auto_poll(std::span<const std::uint8_t> params,
                                           const InitiatorSettings& settings, SteadyTime now,
                                           std::optional<SteadyTime> deadline) {
  if (params.size() < 3 || params.size() - 2 > kMaxPollTypes || params[0] == 0 || params[1] == 0 ||
      params[1] > 0x0F) {
    return make_syntax_error();
  }
  field_.set_powered(true);
  field_.clear_targets();
  hal::Bytes out{0x00};
  std::vector<std::shared_ptr<EmulatedCard>> taken;
  for (std::uint8_t wanted : params.subspan(2)) {
    for (const auto& card : field_.answering()) {
      if (taken.size() == kMaxTargets) break;
      if (std::ranges::find(taken, card) != taken.end()) continue;
      auto type = poll_type(wanted, card->target().iso14443_4);
      if (!type) continue;
      hal::Bytes data = RfField::target_data(field_.activate(card, *type == kPollIso14443_4A));
      out.push_back(*type);
      out.push_back(static_cast<std::uint8_t>(data.size()));
      out.insert(out.end(), data.begin(), data.end());
      taken.push_back(card);
    }
  }
  out[0] = static_cast<std::uint8_t>(taken.size());
  if (!taken.empty()) return make_reply(std::move(out));
  // Nothing yet: PollNr rounds of every type, Period x 150 ms each, or forever for PollNr FF.
  if (!deadline && params[0] != kEndless) {
    const int periods = params[0] * static_cast<int>(params.size() - 2) * params[1];
    deadline = now + kPollPeriodUnit * periods;
  }
  if (deadline && now >= *deadline) return make_reply({0x00});
  waiting_ =
      Waiting{Command::in_auto_poll, hal::Bytes(params.begin(), params.end()), settings, deadline};
  return make_waiting();
}

CommandResult InitiatorCommands::data_exchange(std::span<const std::uint8_t> params) {
  if (params.empty()) return make_syntax_error();
  const std::uint8_t tg = params[0] & kTgMask;
  const bool more_from_host = (params[0] & kMoreInformation) != 0;
  std::span<const std::uint8_t> data = params.subspan(1);
  if (data.empty() && !more_from_host && !rest_for_host_.empty() && tg == rest_tg_) {
    // The host asks for the rest of a reply that did not fit in one frame.
  } else {
    rest_for_host_.clear();
    chained_to_card_.insert(chained_to_card_.end(), data.begin(), data.end());
    if (more_from_host) return make_reply({kStatusOk});
    Exchange ex = field_.exchange(tg, std::exchange(chained_to_card_, {}));
    if (ex.status != kStatusOk) return make_reply({ex.status});
    rest_for_host_ = std::move(ex.data);
    rest_tg_ = tg;
  }
  const std::size_t n = std::min(rest_for_host_.size(), kMaxDataIn);
  hal::Bytes out{rest_for_host_.size() > n ? kMoreInformation : kStatusOk};
  out.insert(out.end(), rest_for_host_.begin(), rest_for_host_.begin() + static_cast<long>(n));
  rest_for_host_.erase(rest_for_host_.begin(), rest_for_host_.begin() + static_cast<long>(n));
  return make_reply(std::move(out));
}

}  // namespace gate::sim::pn532

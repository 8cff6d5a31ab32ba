#include "sim/devices/sim_card_reader.h"

#include <algorithm>
#include <utility>

namespace gate::sim {

void SimCardReader::place(std::shared_ptr<EmulatedCard> card) {
  std::lock_guard lock(mu_);
  add_locked(std::move(card));
}

void SimCardReader::place_many(const std::vector<std::shared_ptr<EmulatedCard>>& cards) {
  std::lock_guard lock(mu_);
  for (const auto& card : cards) add_locked(card);
}

void SimCardReader::add_locked(std::shared_ptr<EmulatedCard> card) {
  if (!card) return;
  auto same = [&](const Presence& p) { return p.card == card; };
  if (std::any_of(field_.begin(), field_.end(), same)) return;
  card->enter_field();
  field_.push_back(Presence{std::move(card), false});
  set_changed_ = true;
}

void SimCardReader::remove(const std::shared_ptr<EmulatedCard>& card) {
  std::lock_guard lock(mu_);
  auto same = [&](const Presence& p) { return p.card == card; };
  auto it = std::find_if(field_.begin(), field_.end(), same);
  if (it == field_.end()) return;
  field_.erase(it);
  set_changed_ = true;
  if (selected_ == card) selected_.reset();
}

void SimCardReader::remove_all() {
  std::lock_guard lock(mu_);
  if (field_.empty()) return;
  field_.clear();
  set_changed_ = true;
  selected_.reset();
}

void SimCardReader::set_down(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
  if (down) selected_.reset();
}

std::size_t SimCardReader::in_field() const {
  std::lock_guard lock(mu_);
  return field_.size();
}

std::size_t SimCardReader::exchange_count() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

Result<hal::CardPresence> SimCardReader::do_poll(std::chrono::milliseconds /*timeout*/) {
  std::lock_guard lock(mu_);
  if (down_) return make_error(Errc::device_lost, "sim reader: down");
  hal::CardPresence presence;
  const bool changed = std::exchange(set_changed_, false);
  if (field_.size() >= 2) {
    selected_.reset();
    if (changed) {
      presence.kind = hal::CardPresence::Kind::multiple;
      presence.detected_at = clock_.mono_now();
    }
  } else if (field_.size() == 1 && !field_.front().reported) {
    Presence& only = field_.front();
    only.reported = true;
    selected_ = only.card;
    presence.kind = hal::CardPresence::Kind::one;
    presence.target = only.card->target();
    presence.detected_at = clock_.mono_now();
  }
  return presence;
}

Result<hal::Bytes> SimCardReader::do_transceive(std::span<const std::uint8_t> command,
                                                std::chrono::milliseconds /*timeout*/) {
  std::shared_ptr<EmulatedCard> card;
  {
    std::lock_guard lock(mu_);
    if (down_) return make_error(Errc::device_lost, "sim reader: down");
    if (!selected_ || field_.size() != 1 || field_.front().card != selected_) {
      return make_error(Errc::io_error, "sim reader: no single selected card in the field");
    }
    card = selected_;
    ++exchanges_;
  }
  // Outside the lock, so a card may take its time or the field may change meanwhile.
  return card->respond(command);
}

}  // namespace gate::sim

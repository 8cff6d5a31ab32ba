// SimCardReader: a hal::CardReader whose field holds EmulatedCards, plus a control API for tests
// and the scenario runner (place and remove cards, take the reader down). It never sleeps: poll()
// answers from the field as it is now, whatever the timeout. Safe to control from another thread
// than the one polling.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "hal/card_reader.h"
#include "hal/clock.h"
#include "sim/cards/card_field.h"
#include "sim/cards/emulated_card.h"

namespace gate::sim {

// Presence rule: a card is reported as Kind::one at most once per presence (from place() until it
// is removed), and only while it is alone in the field. Two or more cards are reported as
// Kind::multiple once per change in the set of cards in the field. Everything else is Kind::none.
// A card left alone after a Kind::multiple and not yet reported is then reported as Kind::one.
class SimCardReader final : public hal::CardReader, public CardField {
 public:
  // `clock` stamps CardPresence::detected_at; it must outlive the reader.
  explicit SimCardReader(const hal::Clock& clock) : clock_(clock) {}

  // The card enters the field: calls card->enter_field(). Placing a card already in the field, or
  // a null card, does nothing.
  void place(std::shared_ptr<EmulatedCard> card);
  // Places several cards at once (one change of the set, so at most one Kind::multiple).
  void place_many(const std::vector<std::shared_ptr<EmulatedCard>>& cards) override;
  // The card leaves the field (no-op if it is not there).
  void remove(const std::shared_ptr<EmulatedCard>& card);
  // Every card leaves the field.
  void remove_all() override;
  // Reader lost (true) or back (false). While down, poll() and transceive() fail with
  // Errc::device_lost. The field keeps its cards and which were reported; the selection is lost, so
  // transceive() fails with Errc::io_error after the reader comes back until a card is reported.
  void set_down(bool down);

  // Number of cards in the field now.
  std::size_t in_field() const;
  // Number of APDUs delivered to a card (whatever the card answered).
  std::size_t exchange_count() const;

 private:
  struct Presence {
    std::shared_ptr<EmulatedCard> card;
    bool reported = false;  // already reported as Kind::one
  };

  Result<hal::CardPresence> do_poll(std::chrono::milliseconds timeout) override;
  // Sends to the card last reported as Kind::one while it is alone in the field; Errc::io_error
  // otherwise. The card's own errors (timeout, io_error) pass through.
  Result<hal::Bytes> do_transceive(std::span<const std::uint8_t> command,
                                   std::chrono::milliseconds timeout) override;
  void add_locked(std::shared_ptr<EmulatedCard> card);

  const hal::Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Presence> field_;
  bool set_changed_ = false;                // the set of cards changed since the last poll
  std::shared_ptr<EmulatedCard> selected_;  // the card last reported as Kind::one
  bool down_ = false;
  std::size_t exchanges_ = 0;
};

}  // namespace gate::sim

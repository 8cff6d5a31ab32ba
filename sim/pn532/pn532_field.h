// RfField: the RF side of the emulated PN532, what its antenna reaches. It holds the cards in the
// field and the targets the chip activated among them (Tg 1, 2), and plays the ISO/IEC 14443-3/-4
// behaviour a host can observe through the chip:
//   - anti-collision uses REQA, so a card that was halted (HLTA, or S(DESELECT) for ISO 14443-4)
//     stays silent until it leaves the field, the RF field is switched off, or a WUPA wakes it
//     (InSelect, or selecting its UID); this is what lets libnfc list two cards one by one;
//   - a card answers APDUs only once RATS made it ISO 14443-4 active (the PN532 sends RATS itself
//     when SetParameters sets fAutomaticRATS);
//   - a card that stays silent or left the field gives the PN532 status 0x01 (timeout): the chip
//     cannot tell one from the other.
// Not thread-safe: the emulator serialises every call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "hal/card_reader.h"
#include "sim/cards/emulated_card.h"

namespace gate::sim::pn532 {

// PN532 status bytes (UM0701 §7.1, error codes) the emulator uses.
inline constexpr std::uint8_t kStatusOk = 0x00;
inline constexpr std::uint8_t kStatusTimeout = 0x01;
inline constexpr std::uint8_t kStatusInvalidParameter = 0x10;
inline constexpr std::uint8_t kStatusWrongContext = 0x27;  // command not acceptable now

// The ATS every emulated ISO 14443-4 card answers RATS with: TL=5, T0=78 (FSCI 8: 256-byte
// frames; TA, TB, TC follow), TA=80, TB=70 (FWI 7, SFGI 0), TC=02 (CID supported).
inline constexpr std::array<std::uint8_t, 5> kCardAts = {0x05, 0x78, 0x80, 0x70, 0x02};

// A card in the field.
struct FieldCard {
  std::shared_ptr<EmulatedCard> card;
  std::uint64_t presence = 0;  // distinguishes this stay in the field from earlier ones
  bool halted = false;         // HALT state: silent to REQA, woken by WUPA
};

// A card the chip activated (a "target" in PN532 terms).
struct Target {
  std::uint8_t tg = 0;  // 1 or 2
  std::shared_ptr<EmulatedCard> card;
  std::uint64_t presence = 0;
  hal::CardTarget info;  // what anti-collision saw
  hal::Bytes ats;        // ATS including TL; empty until RATS
  bool deselected = false;
};

// Status byte and data of one exchange with a card.
struct Exchange {
  std::uint8_t status = kStatusOk;
  hal::Bytes data;
};

class RfField {
 public:
  // The card enters the field (enter_field() is called). False for a null card or one already
  // in the field.
  bool place(std::shared_ptr<EmulatedCard> card);
  // The card leaves the field (no-op if absent). Its target, if any, stops answering.
  void remove(const std::shared_ptr<EmulatedCard>& card);
  // Every card leaves the field.
  void remove_all();
  // Number of cards in the field.
  std::size_t size() const { return cards_.size(); }

  // RF field on or off. Switching it off unpowers every card: halted cards wake at the next
  // power-up, and the targets are released.
  void set_powered(bool on);
  bool powered() const { return powered_; }

  // Cards that answer a REQA now (in the field, not halted), in the order they were placed.
  std::vector<std::shared_ptr<EmulatedCard>> answering() const;
  // The card with this UID, halted or not (a WUPA reaches halted cards too); null if absent.
  std::shared_ptr<EmulatedCard> find_uid(std::span<const std::uint8_t> uid) const;
  // Activates `card` (in the field) as the next target, Tg 1 then 2: anti-collision, then RATS
  // when `rats` and the card is ISO 14443-4. The card leaves HALT state.
  const Target& activate(const std::shared_ptr<EmulatedCard>& card, bool rats);
  // Forgets every target (a new discovery starts).
  void clear_targets() { targets_.clear(); }
  const std::vector<Target>& targets() const { return targets_; }

  // InDataExchange with target `tg`: the APDU to the card, its reply and status 0x00, or the
  // status of the failure (0x27 no such target, 0x01 no answer).
  Exchange exchange(std::uint8_t tg, std::span<const std::uint8_t> apdu);
  // InCommunicateThru: `raw` sent as is (CRC added) to the active target. Understands RATS, HLTA,
  // ISO-DEP I-blocks and S(DESELECT); anything else gets no answer (0x01).
  Exchange communicate_thru(std::span<const std::uint8_t> raw);
  // InSelect / InDeselect / InRelease of target `tg` (0: every target); a status byte.
  std::uint8_t select(std::uint8_t tg);
  std::uint8_t deselect(std::uint8_t tg);
  std::uint8_t release(std::uint8_t tg);
  // Diagnose card presence: 0x00 when the active target still answers, 0x01 when it does not,
  // 0x27 without an active target.
  std::uint8_t check_presence() const;

  // TargetData as InListPassiveTarget and InAutoPoll report it at 106 kbps type A: Tg,
  // SENS_RES (ATQA, most significant byte first), SEL_RES (SAK), NFCID1 length, NFCID1, ATS.
  static hal::Bytes target_data(const Target& target);

 private:
  FieldCard* find(const std::shared_ptr<EmulatedCard>& card);
  FieldCard* find(const std::shared_ptr<EmulatedCard>& card, std::uint64_t presence);
  const FieldCard* find(const std::shared_ptr<EmulatedCard>& card, std::uint64_t presence) const;
  Target* target(std::uint8_t tg);
  Target* active_target();
  void halt(Target& target);

  std::vector<FieldCard> cards_;
  std::vector<Target> targets_;
  std::uint64_t next_presence_ = 1;
  bool powered_ = false;
};

}  // namespace gate::sim::pn532

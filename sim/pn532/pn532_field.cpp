#include "sim/pn532/pn532_field.h"

#include <algorithm>
#include <utility>

namespace gate::sim::pn532 {
namespace {

constexpr std::uint8_t kRats = 0xE0;
constexpr std::uint8_t kHltaFirst = 0x50;
constexpr std::uint8_t kPcbCid = 0x08;
constexpr std::uint8_t kPcbNad = 0x04;
constexpr std::uint8_t kPcbChaining = 0x10;

bool is_i_block(std::uint8_t pcb) {
  return (pcb & 0xE2) == 0x02;
}

bool is_s_deselect(std::uint8_t pcb) {
  return (pcb & 0xF7) == 0xC2;
}

Exchange no_answer() {
  return Exchange{kStatusTimeout, {}};
}

}  // namespace

bool RfField::place(std::shared_ptr<EmulatedCard> card) {
  if (!card || find(card)) return false;
  card->enter_field();
  cards_.push_back(FieldCard{std::move(card), next_presence_++, false});
  return true;
}

void RfField::remove(const std::shared_ptr<EmulatedCard>& card) {
  std::erase_if(cards_, [&](const FieldCard& c) { return c.card == card; });
}

void RfField::remove_all() {
  cards_.clear();
}

void RfField::set_powered(bool on) {
  if (!on) {
    for (FieldCard& c : cards_) c.halted = false;
    targets_.clear();
  }
  powered_ = on;
}

std::vector<std::shared_ptr<EmulatedCard>> RfField::answering() const {
  std::vector<std::shared_ptr<EmulatedCard>> out;
  if (!powered_) return out;
  for (const FieldCard& c : cards_) {
    if (!c.halted) out.push_back(c.card);
  }
  return out;
}

std::shared_ptr<EmulatedCard> RfField::find_uid(std::span<const std::uint8_t> uid) const {
  if (!powered_) return nullptr;
  for (const FieldCard& c : cards_) {
    const std::vector<std::uint8_t> own = c.card->target().uid;
    if (std::ranges::equal(own, uid)) return c.card;
  }
  return nullptr;
}

const Target& RfField::activate(const std::shared_ptr<EmulatedCard>& card, bool rats) {
  FieldCard* c = find(card);
  Target t;
  t.tg = static_cast<std::uint8_t>(targets_.size() + 1);
  t.card = card;
  t.presence = c ? c->presence : 0;
  t.info = card->target();
  if (rats && t.info.iso14443_4) t.ats.assign(kCardAts.begin(), kCardAts.end());
  if (c) c->halted = false;
  targets_.push_back(std::move(t));
  return targets_.back();
}

Exchange RfField::exchange(std::uint8_t tg, std::span<const std::uint8_t> apdu) {
  Target* t = target(tg);
  if (!t) return Exchange{kStatusWrongContext, {}};
  FieldCard* c = powered_ ? find(t->card, t->presence) : nullptr;
  if (!c) return no_answer();
  if (t->deselected) {
    // The PN532 wakes and selects again a target the host deselected before exchanging with it.
    c->halted = false;
    t->deselected = false;
  }
  // A MIFARE Classic card does not understand an APDU, and an ISO 14443-4 card ignores I-blocks
  // until RATS: either way nothing answers.
  if (!t->info.iso14443_4 || t->ats.empty()) return no_answer();
  Result<hal::Bytes> reply = t->card->respond(apdu);
  if (!reply.ok()) return no_answer();
  return Exchange{kStatusOk, std::move(reply).value()};
}

Exchange RfField::communicate_thru(std::span<const std::uint8_t> raw) {
  Target* t = powered_ ? active_target() : nullptr;
  if (!t || raw.empty() || !find(t->card, t->presence)) return no_answer();
  const std::uint8_t pcb = raw[0];
  if (raw.size() == 2 && pcb == kRats) {
    if (!t->info.iso14443_4) return no_answer();
    t->ats.assign(kCardAts.begin(), kCardAts.end());
    return Exchange{kStatusOk, t->ats};
  }
  if (raw.size() == 2 && pcb == kHltaFirst && raw[1] == 0x00) {
    halt(*t);  // a halted card does not answer HLTA
    return no_answer();
  }
  if (t->ats.empty()) return no_answer();
  const std::size_t header = 1 + ((pcb & kPcbCid) ? 1 : 0) + ((pcb & kPcbNad) ? 1 : 0);
  if (raw.size() < header) return no_answer();
  hal::Bytes out(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(header));
  if (is_i_block(pcb) && !(pcb & kPcbChaining)) {
    Result<hal::Bytes> reply = t->card->respond(raw.subspan(header));
    if (!reply.ok()) return no_answer();
    out.insert(out.end(), reply->begin(), reply->end());
    return Exchange{kStatusOk, std::move(out)};
  }
  if (is_s_deselect(pcb)) {
    halt(*t);
    return Exchange{kStatusOk, std::move(out)};
  }
  return no_answer();
}

std::uint8_t RfField::select(std::uint8_t tg) {
  Target* t = target(tg);
  if (!t) return kStatusWrongContext;
  FieldCard* c = powered_ ? find(t->card, t->presence) : nullptr;
  if (!c) return kStatusTimeout;
  c->halted = false;  // WUPA, then select by UID
  t->deselected = false;
  return kStatusOk;
}

std::uint8_t RfField::deselect(std::uint8_t tg) {
  if (tg == 0) {
    for (Target& t : targets_) halt(t);
    return kStatusOk;
  }
  Target* t = target(tg);
  if (!t) return kStatusWrongContext;
  halt(*t);
  return kStatusOk;
}

std::uint8_t RfField::release(std::uint8_t tg) {
  const std::uint8_t status = deselect(tg);
  if (status != kStatusOk) return status;
  std::erase_if(targets_, [&](const Target& t) { return tg == 0 || t.tg == tg; });
  return kStatusOk;
}

std::uint8_t RfField::check_presence() const {
  auto active =
      std::find_if(targets_.begin(), targets_.end(), [](const Target& t) { return !t.deselected; });
  if (active == targets_.end()) return kStatusWrongContext;
  const FieldCard* c = powered_ ? find(active->card, active->presence) : nullptr;
  return c && !c->halted ? kStatusOk : kStatusTimeout;
}

hal::Bytes RfField::target_data(const Target& target) {
  const hal::CardTarget& info = target.info;
  hal::Bytes data{target.tg, static_cast<std::uint8_t>(info.atqa >> 8),
                  static_cast<std::uint8_t>(info.atqa & 0xFF), info.sak,
                  static_cast<std::uint8_t>(info.uid.size())};
  data.insert(data.end(), info.uid.begin(), info.uid.end());
  data.insert(data.end(), target.ats.begin(), target.ats.end());
  return data;
}

FieldCard* RfField::find(const std::shared_ptr<EmulatedCard>& card) {
  auto it = std::find_if(cards_.begin(), cards_.end(),
                         [&](const FieldCard& c) { return c.card == card; });
  return it == cards_.end() ? nullptr : &*it;
}

FieldCard* RfField::find(const std::shared_ptr<EmulatedCard>& card, std::uint64_t presence) {
  FieldCard* c = find(card);
  return c && c->presence == presence ? c : nullptr;
}

const FieldCard* RfField::find(const std::shared_ptr<EmulatedCard>& card,
                               std::uint64_t presence) const {
  for (const FieldCard& c : cards_) {
    if (c.card == card) return c.presence == presence ? &c : nullptr;
  }
  return nullptr;
}

Target* RfField::target(std::uint8_t tg) {
  auto it =
      std::find_if(targets_.begin(), targets_.end(), [&](const Target& t) { return t.tg == tg; });
  return it == targets_.end() ? nullptr : &*it;
}

Target* RfField::active_target() {
  auto it =
      std::find_if(targets_.begin(), targets_.end(), [](const Target& t) { return !t.deselected; });
  return it == targets_.end() ? nullptr : &*it;
}

void RfField::halt(Target& target) {
  target.deselected = true;
  if (FieldCard* c = find(target.card, target.presence)) c->halted = true;
}

}  // namespace gate::sim::pn532

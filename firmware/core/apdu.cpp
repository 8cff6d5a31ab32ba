#include "firmware/core/apdu.h"

#include <algorithm>

namespace gate::core {

Result<ApduReply> exchange_apdu(hal::ApduChannel& channel, std::span<const std::uint8_t> command,
                                std::chrono::milliseconds timeout) {
  hal::Bytes current(command.begin(), command.end());
  ApduReply out;
  bool le_repeated = false;
  for (int round = 0; round < kMaxApduRounds; ++round) {
    GATE_TRY_ASSIGN(hal::Bytes reply, channel.transceive(current, timeout));
    if (reply.size() < 2) return make_error(Errc::malformed, "card reply shorter than SW1 SW2");
    const std::uint8_t sw1 = reply[reply.size() - 2];
    const std::uint8_t sw2 = reply[reply.size() - 1];
    reply.resize(reply.size() - 2);
    if (sw1 == 0x6C) {
      // Wrong Le: the card wants the same command with Le = SW2, once.
      if (le_repeated) return make_error(Errc::malformed, "card asked twice for another Le");
      le_repeated = true;
      GATE_TRY_ASSIGN(current, with_le(current, sw2));
      continue;
    }
    out.data.insert(out.data.end(), reply.begin(), reply.end());
    if (sw1 == 0x61) {
      current = {0x00, 0xC0, 0x00, 0x00, sw2};
      continue;
    }
    out.sw = static_cast<std::uint16_t>((sw1 << 8) | sw2);
    return out;
  }
  return make_error(Errc::malformed, "card reply chained beyond the bound");
}

Result<hal::Bytes> with_le(std::span<const std::uint8_t> command, std::uint8_t le) {
  hal::Bytes out(command.begin(), command.end());
  const std::size_t n = command.size();
  if (n == 4) {  // case 1
    out.push_back(le);
    return out;
  }
  if (n == 5) {  // case 2
    out.back() = le;
    return out;
  }
  if (n > 5 && command[4] != 0) {
    const std::size_t lc = command[4];
    if (n == 5 + lc) {  // case 3
      out.push_back(le);
      return out;
    }
    if (n == 6 + lc) {  // case 4
      out.back() = le;
      return out;
    }
  }
  return make_error(Errc::invalid_argument, "not a short-length APDU");
}

bool is_absent_status(std::uint16_t sw) {
  constexpr std::uint16_t kAbsent[] = {0x6A82, 0x6A81, 0x6A86, 0x6A88,
                                       0x6981, 0x6986, 0x6D00, 0x6E00};
  return std::find(std::begin(kAbsent), std::end(kAbsent), sw) != std::end(kAbsent);
}

Result<std::vector<Tlv>> parse_tlv(std::span<const std::uint8_t> data) {
  std::vector<Tlv> objects;
  std::size_t pos = 0;
  // Each round consumes at least one byte, so the loop ends within data.size() rounds.
  while (pos < data.size()) {
    if (data[pos] == 0x00 || data[pos] == 0xFF) {
      ++pos;
      continue;
    }
    Tlv tlv;
    tlv.tag = data[pos++];
    if ((tlv.tag & 0x1F) == 0x1F) {
      if (pos >= data.size()) return make_error(Errc::malformed, "TLV tag truncated");
      if ((data[pos] & 0x80) != 0)
        return make_error(Errc::malformed, "TLV tag longer than 2 bytes");
      tlv.tag = static_cast<std::uint16_t>((tlv.tag << 8) | data[pos++]);
    }
    if (pos >= data.size()) return make_error(Errc::malformed, "TLV length missing");
    std::size_t length = data[pos++];
    if (length >= 0x80) {
      const std::size_t count = length & 0x7F;
      if (count < 1 || count > 2) return make_error(Errc::malformed, "TLV length form unsupported");
      if (data.size() - pos < count) return make_error(Errc::malformed, "TLV length truncated");
      length = 0;
      for (std::size_t i = 0; i < count; ++i) length = (length << 8) | data[pos++];
    }
    if (data.size() - pos < length) return make_error(Errc::malformed, "TLV value overruns");
    tlv.value = data.subspan(pos, length);
    pos += length;
    objects.push_back(tlv);
  }
  return objects;
}

std::optional<std::span<const std::uint8_t>> find_tlv(const std::vector<Tlv>& objects,
                                                      std::uint16_t tag) {
  for (const Tlv& tlv : objects) {
    if (tlv.tag == tag) return tlv.value;
  }
  return std::nullopt;
}

}  // namespace gate::core

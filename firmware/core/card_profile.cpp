#include "firmware/core/card_profile.h"

#include "firmware/core/apdu.h"
#include "firmware/core/bcd.h"

namespace gate::core {
namespace {

using ReadResult = std::variant<CardData, Reason>;
using ByteSpan = std::span<const std::uint8_t>;

// Commands of spec/cards.md, byte for byte.
constexpr std::uint8_t kSelectTUnion[] = {0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00,
                                          0x00, 0x06, 0x32, 0x01, 0x01, 0x05, 0x00};
constexpr std::uint8_t kReadTUnionFile[] = {0x00, 0xB0, 0x95, 0x00, 0x00};  // SFI 0x15
constexpr std::uint8_t kGetBalance[] = {0x80, 0x5C, 0x00, 0x02, 0x04};
constexpr std::uint8_t kSelectMf[] = {0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00, 0x00};
constexpr std::uint8_t kReadBeijingFile[] = {0x00, 0xB0, 0x84, 0x00, 0x00};  // SFI 0x04

constexpr std::size_t kTUnionFileSize = 30;
constexpr std::size_t kBeijingFileMinSize = 32;
constexpr std::uint8_t kSakMifareClassic = 0x08;

// What trying one application gave: a result, or `absent` (the application is not on the card,
// the next profile may be tried). Reason::unsupported_card plays `absent` between the steps.
constexpr Reason kAbsent = Reason::unsupported_card;

bool is_absent(const ReadResult& r) {
  return std::holds_alternative<Reason>(r) && std::get<Reason>(r) == kAbsent;
}

// The 30-byte public file carried in the FCI as 6F → A5 → 9F0C, if it is there. The FCI must be
// well-formed BER-TLV at each level walked (Errc::malformed otherwise); an empty FCI, one without
// those templates, or a 9F0C of another size gives std::nullopt (the file is then read).
Result<std::optional<hal::Bytes>> public_file_from_fci(ByteSpan fci) {
  using Found = std::optional<hal::Bytes>;
  if (fci.empty()) return Found{};
  GATE_TRY_ASSIGN(std::vector<Tlv> top, parse_tlv(fci));
  std::optional<ByteSpan> fci_template = find_tlv(top, 0x6F);
  if (!fci_template) return Found{};
  GATE_TRY_ASSIGN(std::vector<Tlv> fci_objects, parse_tlv(*fci_template));
  std::optional<ByteSpan> proprietary = find_tlv(fci_objects, 0xA5);
  if (!proprietary) return Found{};
  GATE_TRY_ASSIGN(std::vector<Tlv> proprietary_objects, parse_tlv(*proprietary));
  std::optional<ByteSpan> file = find_tlv(proprietary_objects, 0x9F0C);
  if (!file || file->size() != kTUnionFileSize) return Found{};
  return Found{hal::Bytes(file->begin(), file->end())};
}

// GET BALANCE, for display only: any failure (exchange, status word, size) leaves it absent and
// does not fail the read, since the card number and validity are already known.
std::optional<std::int64_t> read_balance(hal::ApduChannel& channel,
                                         const CardProfileOptions& options) {
  Result<ApduReply> reply = exchange_apdu(channel, kGetBalance, options.apdu_timeout);
  if (!reply || reply->sw != kSwOk || reply->data.size() != 4) return std::nullopt;
  const auto& d = reply->data;
  const std::uint32_t raw = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                            (std::uint32_t{d[2]} << 8) | std::uint32_t{d[3]};
  return static_cast<std::int64_t>(raw & 0x7FFFFFFFu);
}

ReadResult read_tunion(hal::ApduChannel& channel, const CardProfileOptions& options) {
  Result<ApduReply> select = exchange_apdu(channel, kSelectTUnion, options.apdu_timeout);
  if (!select) return Reason::read_error;
  if (select->sw != kSwOk) return is_absent_status(select->sw) ? kAbsent : Reason::read_error;

  Result<std::optional<hal::Bytes>> from_fci = public_file_from_fci(select->data);
  if (!from_fci) return Reason::read_error;
  hal::Bytes file;
  if (from_fci->has_value()) {
    file = std::move(**from_fci);
  } else {
    // The application is selected: its public file must be there, whatever the status word says.
    Result<ApduReply> read = exchange_apdu(channel, kReadTUnionFile, options.apdu_timeout);
    if (!read || read->sw != kSwOk) return Reason::read_error;
    file = std::move(read->data);
  }

  ReadResult decoded = decode_tunion_file(file);
  if (auto* data = std::get_if<CardData>(&decoded); data && options.read_balance) {
    data->balance_fen = read_balance(channel, options);
  }
  return decoded;
}

ReadResult read_beijing(hal::ApduChannel& channel, const CardProfileOptions& options) {
  Result<ApduReply> select = exchange_apdu(channel, kSelectMf, options.apdu_timeout);
  if (!select) return Reason::read_error;
  if (select->sw != kSwOk) return is_absent_status(select->sw) ? kAbsent : Reason::read_error;
  // Most ISO 7816 cards have an MF: the Beijing application shows only by its file being there.
  Result<ApduReply> read = exchange_apdu(channel, kReadBeijingFile, options.apdu_timeout);
  if (!read) return Reason::read_error;
  if (read->sw != kSwOk) return is_absent_status(read->sw) ? kAbsent : Reason::read_error;
  return decode_beijing_file(read->data);
}

ReadResult read_mifare_classic(const hal::CardTarget& target) {
  if (target.uid.size() != 4) return Reason::read_error;
  CardData data;
  data.credential = "m1:" + to_lower_hex(target.uid);
  return data;
}

// Validity dates at `from` and `from + 4`; false when either is not a valid BCD date.
bool decode_validity(ByteSpan file, std::size_t from, CardData& data) {
  data.valid_from = decode_bcd_date(file.subspan(from, 4));
  data.valid_until = decode_bcd_date(file.subspan(from + 4, 4));
  return data.valid_from && data.valid_until;
}

}  // namespace

std::variant<CardData, Reason> read_card(const hal::CardTarget& target, hal::ApduChannel& channel,
                                         const CardProfileOptions& options) {
  if (!target.iso14443_4) {
    if ((target.sak & kSakMifareClassic) != 0) return read_mifare_classic(target);
    return Reason::unsupported_card;
  }
  ReadResult tunion = read_tunion(channel, options);
  if (!is_absent(tunion)) return tunion;
  // Both profiles absent ends as unsupported_card, which kAbsent already is.
  return read_beijing(channel, options);
}

std::variant<CardData, Reason> decode_tunion_file(std::span<const std::uint8_t> file) {
  if (file.size() != kTUnionFileSize) return Reason::read_error;
  std::optional<std::string> digits = decode_bcd(file.subspan(10, 10));
  if (!digits) return Reason::read_error;
  CardData data;
  data.credential = "tu:" + digits->substr(1);
  if (!decode_validity(file, 20, data)) return Reason::read_error;
  return data;
}

std::variant<CardData, Reason> decode_beijing_file(std::span<const std::uint8_t> file) {
  if (file.size() < kBeijingFileMinSize) return Reason::read_error;
  CardData data;
  data.credential = "bj:" + to_lower_hex(file.subspan(0, 8));
  if (!decode_validity(file, 24, data)) return Reason::read_error;
  return data;
}

}  // namespace gate::core

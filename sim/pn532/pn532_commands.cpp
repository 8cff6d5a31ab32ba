#include "sim/pn532/pn532_commands.h"

#include <array>
#include <utility>

namespace gate::sim::pn532 {
namespace {

// GetFirmwareVersion: IC 0x32 (PN532), Ver 1, Rev 6, Support 0x07 (ISO 14443 A and B, ISO 18092).
constexpr std::array<std::uint8_t, 4> kFirmware = {0x32, 0x01, 0x06, 0x07};
// SetParameters flags at power-on: fAutomaticATR_RES (0x04) and fAutomaticRATS (0x10).
constexpr std::uint8_t kDefaultParameters = 0x14;
constexpr std::uint8_t kParamAutoRats = 0x10;
constexpr std::uint8_t kWakeOnHsu = 0x10;  // PowerDown WakeUpEnable bit for the HSU link
constexpr std::uint8_t kRfFieldOn = 0x01;
constexpr std::uint8_t kRfItemField = 0x01;
constexpr std::uint8_t kRfItemMaxRetries = 0x05;

struct RegisterDefault {
  std::uint16_t address;
  std::uint8_t value;
};

// Values a register reads before anything wrote it, as the PN532 firmware leaves them after its
// initialisation: 106 kbps type A with CRC on both ways, parity on, initiator. Any other address
// reads 0x00.
constexpr std::array<RegisterDefault, 9> kRegisterDefaults{{
    {0x6302, 0x80},  // CIU_TxMode: TxCRCEn, 106 kbps, ISO 14443 A framing
    {0x6303, 0x80},  // CIU_RxMode: RxCRCEn
    {0x6304, 0x80},  // CIU_TxControl
    {0x6308, 0x84},  // CIU_RxThreshold
    {0x6309, 0x4D},  // CIU_Demod
    {0x633B, 0x08},  // CIU_WaterLevel
    {0x633C, 0x10},  // CIU_Control: Initiator
    {0xFFB0, 0xFF},  // SFR P3
    {0xFFF7, 0xFF},  // SFR P7
}};

// Status registers: they show the CIU's state (an empty FIFO, no error, a saturated timer), not
// what a host wrote. Reading them as written would make libnfc's FIFO loops spin forever.
bool is_status_register(std::uint16_t address) {
  switch (address) {
    case 0x6311:  // CRCResultMSB
    case 0x6312:  // CRCResultLSB
    case 0x631E:  // TCounterVal_hi
    case 0x631F:  // TCounterVal_lo
    case 0x6334:  // CommIrq
    case 0x6335:  // DivIrq
    case 0x6336:  // Error
    case 0x6337:  // Status1
    case 0x6339:  // FIFOData
    case 0x633A:  // FIFOLevel
    case 0x633E:  // Coll
      return true;
    default:
      return false;
  }
}

std::optional<std::size_t> rf_item_size(std::uint8_t item) {
  switch (item) {
    case 0x01:  // RF field
    case 0x04:  // MaxRtyCOM
      return 1;
    case 0x02:  // various timings
    case 0x05:  // max retries
    case 0x0C:  // analog settings, type B
      return 3;
    case 0x0A:  // analog settings, 106 kbps type A
      return 11;
    case 0x0B:  // analog settings, 212/424 kbps
      return 8;
    case 0x0D:  // analog settings, ISO 14443-4 at 212/424/848 kbps
      return 9;
    default:
      return std::nullopt;
  }
}

CommandResult with_response_code(std::uint8_t code, CommandResult result) {
  if (result.kind == CommandResult::Kind::reply) {
    result.output.insert(result.output.begin(), static_cast<std::uint8_t>(code + 1));
  }
  return result;
}

}  // namespace

CommandHandler::CommandHandler() : parameters_(kDefaultParameters) {
  for (const RegisterDefault& r : kRegisterDefaults) registers_[r.address] = r.value;
  settings_.auto_rats = (parameters_ & kParamAutoRats) != 0;
}

void CommandHandler::power_on_reset() {
  RfField field = std::move(initiator_.field());
  *this = CommandHandler();
  field.set_powered(false);
  initiator_.field() = std::move(field);
}

void CommandHandler::wake() {
  if (hsu_wakes_) asleep_ = false;
}

std::uint8_t CommandHandler::register_value(std::uint16_t address) const {
  if (is_status_register(address)) return 0x00;
  auto it = registers_.find(address);
  return it == registers_.end() ? 0x00 : it->second;
}

CommandResult CommandHandler::execute(std::span<const std::uint8_t> command, SteadyTime now) {
  if (command.empty()) return make_syntax_error();
  const std::uint8_t code = command[0];
  const std::span<const std::uint8_t> params = command.subspan(1);
  if (InitiatorCommands::handles(code)) {
    waiting_code_ = code;
    return with_response_code(code, initiator_.execute(code, params, settings_, now));
  }
  initiator_.cancel();
  CommandResult result;
  switch (static_cast<Command>(code)) {
    case Command::diagnose:
      result = diagnose(params);
      break;
    case Command::get_firmware_version:
      result = params.empty() ? make_reply(hal::Bytes(kFirmware.begin(), kFirmware.end()))
                              : make_syntax_error();
      break;
    case Command::get_general_status:
      result = params.empty() ? general_status() : make_syntax_error();
      break;
    case Command::read_register:
      result = read_registers(params);
      break;
    case Command::write_register:
      result = write_registers(params);
      break;
    case Command::set_parameters:
      if (params.size() != 1) return make_syntax_error();
      parameters_ = params[0];
      settings_.auto_rats = (parameters_ & kParamAutoRats) != 0;
      result = make_reply({});
      break;
    case Command::sam_configuration:
      result = sam_configuration(params);
      break;
    case Command::power_down:
      result = power_down(params);
      break;
    case Command::rf_configuration:
      result = rf_configuration(params);
      break;
    default:
      return make_syntax_error();
  }
  return with_response_code(code, std::move(result));
}

CommandResult CommandHandler::resume(SteadyTime now) {
  return with_response_code(waiting_code_, initiator_.resume(now));
}

CommandResult CommandHandler::diagnose(std::span<const std::uint8_t> params) {
  if (params.empty()) return make_syntax_error();
  switch (params[0]) {
    case 0x00:  // communication line test: NumTst and InParam come back
      return make_reply(hal::Bytes(params.begin(), params.end()));
    case 0x01:  // ROM test
    case 0x02:  // RAM test
      return make_reply({kStatusOk});
    case 0x06:  // card presence of the active target
      return make_reply({field().check_presence()});
    default:
      return make_syntax_error();
  }
}

CommandResult CommandHandler::general_status() const {
  // Err, Field (an external field, target mode only), NbTg, then Tg BrRx BrTx Type per target
  // (106 kbps both ways, type A), then the SAM status.
  const auto& targets = field().targets();
  hal::Bytes out{kStatusOk, 0x00, static_cast<std::uint8_t>(targets.size())};
  for (const Target& t : targets) out.insert(out.end(), {t.tg, 0x00, 0x00, 0x00});
  out.push_back(0x00);
  return make_reply(std::move(out));
}

CommandResult CommandHandler::read_registers(std::span<const std::uint8_t> params) const {
  if (params.empty() || params.size() % 2 != 0) return make_syntax_error();
  hal::Bytes out;
  for (std::size_t i = 0; i < params.size(); i += 2) {
    out.push_back(register_value(static_cast<std::uint16_t>(params[i] << 8 | params[i + 1])));
  }
  return make_reply(std::move(out));
}

CommandResult CommandHandler::write_registers(std::span<const std::uint8_t> params) {
  if (params.empty() || params.size() % 3 != 0) return make_syntax_error();
  for (std::size_t i = 0; i < params.size(); i += 3) {
    registers_[static_cast<std::uint16_t>(params[i] << 8 | params[i + 1])] = params[i + 2];
  }
  return make_reply({});
}

CommandResult CommandHandler::sam_configuration(std::span<const std::uint8_t> params) {
  // Mode (1 normal, 2 virtual card, 3 wired card, 4 dual card), Timeout (virtual card), IRQ.
  if (params.empty() || params.size() > 3 || params[0] < 0x01 || params[0] > 0x04) {
    return make_syntax_error();
  }
  if (params[0] == 0x02 && params.size() < 2) return make_syntax_error();
  sam_mode_ = params[0];
  return make_reply({});
}

CommandResult CommandHandler::power_down(std::span<const std::uint8_t> params) {
  // WakeUpEnable, then optionally GenerateIRQ. The chip answers, then sleeps with its field off.
  if (params.empty() || params.size() > 2) return make_syntax_error();
  hsu_wakes_ = (params[0] & kWakeOnHsu) != 0;
  asleep_ = true;
  field().set_powered(false);
  return make_reply({kStatusOk});
}

CommandResult CommandHandler::rf_configuration(std::span<const std::uint8_t> params) {
  if (params.empty()) return make_syntax_error();
  const std::uint8_t item = params[0];
  const std::span<const std::uint8_t> data = params.subspan(1);
  auto size = rf_item_size(item);
  if (!size || data.size() != *size) return make_syntax_error();
  rf_items_[item] = hal::Bytes(data.begin(), data.end());
  if (item == kRfItemField) field().set_powered((data[0] & kRfFieldOn) != 0);
  if (item == kRfItemMaxRetries) settings_.passive_activation_retries = data[2];
  return make_reply({});
}

}  // namespace gate::sim::pn532

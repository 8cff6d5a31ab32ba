// Card replies through the card profiles (spec/cards.md): read_card over a channel whose replies
// come from the input, and the two public-file decoders on the raw input. Input layout: flags
// (bit 0: ISO 14443-4), SAK, UID length (mod 11) and UID, then each reply as a length byte and
// that many bytes; once the replies run out the card has left the field (io_error).
#include <string>
#include <vector>

#include "firmware/core/card_profile.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using gate::fuzz::FuzzInput;
using gate::fuzz::fuzz_require;

class ScriptedChannel final : public gate::hal::ApduChannel {
 public:
  explicit ScriptedChannel(FuzzInput& input) : input_(input) {}

 private:
  gate::Result<gate::hal::Bytes> do_transceive(std::span<const std::uint8_t> command,
                                               std::chrono::milliseconds) override {
    fuzz_require(!command.empty(), "an APDU is never empty");
    if (input_.empty()) return gate::make_error(gate::Errc::io_error, "card left the field");
    auto reply = input_.bytes(input_.byte());
    return gate::hal::Bytes(reply.begin(), reply.end());
  }

  FuzzInput& input_;
};

// A credential read must be a key of one of the three profiles, never garbage with no prefix.
void check(const std::variant<gate::core::CardData, gate::core::Reason>& result) {
  if (const auto* card = std::get_if<gate::core::CardData>(&result)) {
    const std::string& key = card->credential;
    fuzz_require(key.starts_with("tu:") || key.starts_with("bj:") || key.starts_with("m1:"),
                 "credential key has a profile prefix");
    fuzz_require(key.size() > 3, "credential key is not empty");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(gate::core::decode_tunion_file({data, size}));
  check(gate::core::decode_beijing_file({data, size}));

  FuzzInput input(data, size);
  gate::hal::CardTarget target;
  target.iso14443_4 = (input.byte() & 1) != 0;
  target.sak = input.byte();
  auto uid = input.bytes(input.byte() % 11);
  target.uid.assign(uid.begin(), uid.end());
  ScriptedChannel channel(input);
  gate::core::CardProfileOptions options;
  options.read_balance = true;
  check(gate::core::read_card(target, channel, options));
  return 0;
}

// ride-code: makes TRC1 ride codes (spec/ride-code-v1.md) on a developer's or the back office's
// machine: P-256 keys, the issuer_key record that makes gates trust an issuer key, certificates
// for device keys, and codes as text or as a QR code PNG. Host only.
#include <iostream>
#include <span>
#include <string_view>

#include "sim/ride_code/ride_code_commands.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  ride-code keygen --out KEY.pem [--pub PUB.pem]\n"
    "  ride-code pubkey --key KEY.pem\n"
    "  ride-code issuer-record --key ISSUER.pem --issuer-id N --key-id K\n"
    "                          --valid-from ISO --valid-until ISO [--revoked]\n"
    "  ride-code cert --issuer-key ISSUER.pem --issuer-id N --key-id K --device-key DEV.pem\n"
    "                 --account A --cert-not-before ISO --cert-not-after ISO\n"
    "  ride-code mint (--cert HEX | --issuer-key ISSUER.pem --issuer-id N --key-id K --account A\n"
    "                  --cert-not-before ISO --cert-not-after ISO) --device-key DEV.pem\n"
    "                 [--at ISO] [--validity S] [--sequence Q] [--png FILE]\n"
    "ISO times have an offset: 2022-05-23T05:00:00+08:00. Exit status: 0 done, 1 failed, 2 "
    "usage.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view command = argv[1];
  const std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  int code = -1;
  if (command == "keygen") code = gate::sim::cmd_keygen(rest);
  if (command == "pubkey") code = gate::sim::cmd_pubkey(rest);
  if (command == "issuer-record") code = gate::sim::cmd_issuer_record(rest);
  if (command == "cert") code = gate::sim::cmd_cert(rest);
  if (command == "mint") code = gate::sim::cmd_mint(rest);
  if (command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (code < 0) {
    std::cerr << "ride-code: unknown command `" << command << "`\n" << kUsage;
    return 2;
  }
  if (code == 2) std::cerr << kUsage;
  return code;
}

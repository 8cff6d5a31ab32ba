// The ride-code tool's subcommands (back office and App, for developers and tests). Each takes the
// words after the subcommand's name and returns the exit code: 0 done, 1 the work failed (a key
// file that cannot be read or written, a certificate for another key), 2 a usage error.
#pragma once

#include <span>

namespace gate::sim {

// keygen --out KEY.pem [--pub PUB.pem]: a new P-256 key pair; prints the public key's hex.
int cmd_keygen(std::span<char* const> argv);
// pubkey --key KEY.pem: prints the public key (of a private or public key file) as 130 hex digits.
int cmd_pubkey(std::span<char* const> argv);
// issuer-record --key KEY.pem --issuer-id N --key-id K --valid-from ISO --valid-until ISO
// [--revoked]: prints the issuer_key record line (records.md).
int cmd_issuer_record(std::span<char* const> argv);
// cert (issuer options): prints a certificate (body bytes 0..148) as 298 hex digits.
int cmd_cert(std::span<char* const> argv);
// mint (--cert HEX | issuer options) --device-key DEV.pem [--at ISO] [--validity S]
// [--sequence Q] [--png FILE]: prints the code's text; with --png also writes it as a QR code.
int cmd_mint(std::span<char* const> argv);

}  // namespace gate::sim

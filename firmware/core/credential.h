// Credential keys (spec/cards.md "Credential keys") and the media a credential is presented on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gate::core {

// How a credential was presented; `none` for records without one (emergency, staff open).
enum class Media { card, phone_card, m1, qr, none };

std::string_view media_name(Media media);
std::optional<Media> parse_media(std::string_view name);

enum class KeyKind { tu, bj, m1, qr };

// The kind of a well-formed key: `tu:` + 19 digits, `bj:` + 16 lowercase hex, `m1:` + 8 lowercase
// hex, `qr:` + a decimal uint64 without leading zeros. std::nullopt for anything else.
std::optional<KeyKind> credential_key_kind(std::string_view key);

// The key as logs and printed records may show it: prefix up to and with ':' and the last 4
// characters kept, every other character replaced by '*' (decisions.md). Empty stays empty.
std::string mask_credential(std::string_view key);

}  // namespace gate::core

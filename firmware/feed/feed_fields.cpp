#include "firmware/feed/feed_fields.h"

#include <algorithm>
#include <charconv>

#include "firmware/core/credential.h"

namespace gate::feed::fields {

Error bad(std::string what) {
  return make_error(Errc::invalid_argument, std::move(what));
}

std::optional<std::uint64_t> parse_number(std::string_view s, int base) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

Status put_credential(ByteWriter& w, std::string_view key) {
  auto kind = core::credential_key_kind(key);
  if (!kind) return bad("malformed credential key");
  std::string_view body = key.substr(3);
  auto v = parse_number(body, *kind == core::KeyKind::tu || *kind == core::KeyKind::qr ? 10 : 16);
  if (!v) return bad("malformed credential key");
  w.byte(static_cast<std::uint8_t>(*kind));
  w.big_endian(*v, *kind == core::KeyKind::m1 ? 4 : 8);
  return ok_status();
}

namespace {

// Appends `v` in `base` (10 or 16, lowercase), zero-padded to at least `width` digits: what
// "%0*llu" / "%0*llx" print, without a printf per record of a 40-million-record snapshot.
void put_digits(std::string& out, std::uint64_t v, unsigned base, int width) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = kDigits[v % base];
    v /= base;
  } while (v != 0);
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += tmp[--n];
}

}  // namespace

std::optional<std::string> get_credential(ByteReader& r) {
  auto kind = r.byte();
  if (!kind || *kind > 3) return std::nullopt;
  auto v = r.big_endian(*kind == 2 ? 4 : 8);
  if (!v) return std::nullopt;
  std::string key;
  key.reserve(24);
  switch (*kind) {
    case 0:
      if (*v > 9999999999999999999ULL) return std::nullopt;
      key = "tu:";
      put_digits(key, *v, 10, 19);
      break;
    case 1:
      key = "bj:";
      put_digits(key, *v, 16, 16);
      break;
    case 2:
      key = "m1:";
      put_digits(key, *v, 16, 8);
      break;
    default:
      key = "qr:";
      put_digits(key, *v, 10, 1);
      break;
  }
  if (!core::credential_key_kind(key)) return std::nullopt;
  return key;
}

bool valid_identity(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

void put_instant(ByteWriter& w, Instant t) {
  w.svarint(t.time_since_epoch().count());
}

std::optional<Instant> get_instant(ByteReader& r) {
  auto v = r.svarint();
  if (!v) return std::nullopt;
  return Instant(std::chrono::microseconds(*v));
}

Status put_text(ByteWriter& w, std::string_view s, std::size_t max, std::string_view what) {
  if (s.size() > max) return bad(std::string(what) + " too long");
  w.str(s);
  return ok_status();
}

Status put_names(ByteWriter& w, const std::vector<std::string>& names) {
  w.varint(names.size());
  for (const auto& n : names) {
    if (n.empty()) return bad("empty scope name");
    GATE_TRY(put_text(w, n, kMaxName, "scope name"));
  }
  return ok_status();
}

std::optional<std::vector<std::string>> get_names(ByteReader& r) {
  auto n = r.varint();
  if (!n || *n > r.remaining()) return std::nullopt;  // each name takes at least two bytes
  std::vector<std::string> names;
  for (std::uint64_t i = 0; i < *n; ++i) {
    auto s = r.str(kMaxName);
    if (!s || s->empty()) return std::nullopt;
    names.push_back(std::move(*s));
  }
  return names;
}

std::optional<std::uint8_t> get_enum(ByteReader& r, std::uint8_t count) {
  auto b = r.byte();
  if (!b || *b >= count) return std::nullopt;
  return b;
}

std::optional<bool> get_bool(ByteReader& r) {
  auto b = get_enum(r, 2);
  if (!b) return std::nullopt;
  return *b == 1;
}

std::optional<int> get_count(ByteReader& r) {
  auto v = r.varint();
  if (!v || *v > kMaxCount) return std::nullopt;
  return static_cast<int>(*v);
}

Status put_sec1(ByteWriter& w, std::string_view hex) {
  if (hex.size() != 130 || !hex.starts_with("04")) return bad("malformed public key");
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto v = parse_number(hex.substr(i, 2), 16);
    if (!v) return bad("malformed public key");
    w.byte(static_cast<std::uint8_t>(*v));
  }
  return ok_status();
}

}  // namespace gate::feed::fields

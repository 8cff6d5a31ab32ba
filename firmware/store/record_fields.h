// JSON field readers for the JSON Lines loader (record_loader.cpp; also the reference back
// office's operations parser, sim/backoffice/operation.cpp): each checks one field's JSON type and
// value set and returns a value, or an Errc::malformed Error "line N: field F: what".
// Messages never echo a credential key or an identity. Identities are 1-64 characters of
// 0x21-0x7E: printable ASCII without the space, since an opaque token with a space in it is
// almost always a copy-paste slip.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/core/credential.h"
#include "firmware/store/iso_time.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::store::record_fields {

using json = nlohmann::json;

// One record line (or an object nested in it): the object, the line number and the path to the
// object ("scope."), for "line N: field F: what" messages.
struct Line {
  const json& obj;
  std::size_t no;
  std::string_view path = {};

  Error error(std::string_view field, std::string_view what) const {
    return make_error(Errc::malformed, "line " + std::to_string(no) + ": field " +
                                           std::string(path) + std::string(field) + ": " +
                                           std::string(what));
  }
  const json* find(std::string_view name) const {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
  }
};

// A value for a message: quoted and cut short. Only for values that are not keys or identities.
inline std::string shown(std::string_view s) {
  return '"' + std::string(s.substr(0, 40)) + (s.size() > 40 ? "…\"" : "\"");
}

// "expected <what>, got <JSON type>".
inline std::string expected(std::string_view what, const json& v) {
  return "expected " + std::string(what) + ", got " + v.type_name();
}

// Converters: (line, field, value) → Result<T>.
inline Result<std::string> any_text(const Line& l, std::string_view f, const json& v) {
  if (!v.is_string()) return l.error(f, expected("a string", v));
  return v.get<std::string>();
}

inline Result<std::string> nonempty_text(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
  if (s.empty()) return l.error(f, "must not be empty");
  return s;
}

inline Result<std::string> credential_key(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
  if (!core::credential_key_kind(s)) return l.error(f, "malformed credential key");
  return s;
}

inline Result<std::string> identity(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
  bool printable = std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x21 && static_cast<unsigned char>(c) <= 0x7e;
  });
  if (s.empty() || s.size() > 64 || !printable) {
    return l.error(f, "must be 1-64 printable ASCII characters (0x21-0x7E, no space)");
  }
  return s;
}

inline Result<Instant> instant(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
  if (auto t = parse_iso8601(s)) return *t;
  return l.error(f, "malformed time " + shown(s) +
                        " (ISO 8601 with an offset or Z, e.g. 2022-05-23T05:00:00+08:00)");
}

inline Result<std::optional<Instant>> time_or_null(const Line& l, std::string_view f,
                                                   const json& v) {
  if (v.is_null()) return std::optional<Instant>();
  GATE_TRY_ASSIGN(Instant t, instant(l, f, v));
  return std::optional<Instant>(t);
}

inline Result<bool> boolean(const Line& l, std::string_view f, const json& v) {
  if (!v.is_boolean()) return l.error(f, expected("true or false", v));
  return v.get<bool>();
}

// An integer (not 1.0, not "1") in [min, max].
inline auto integer_in(std::int64_t min, std::int64_t max) {
  return [min, max](const Line& l, std::string_view f, const json& v) -> Result<std::int64_t> {
    if (!v.is_number_integer()) return l.error(f, expected("an integer", v));
    bool fits = v.is_number_unsigned()
                    ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(max)
                    : v.get<std::int64_t>() >= min && v.get<std::int64_t>() <= max;
    if (!fits) {
      return l.error(f, "out of range " + std::to_string(min) + ".." + std::to_string(max));
    }
    return v.is_number_unsigned() ? static_cast<std::int64_t>(v.get<std::uint64_t>())
                                  : v.get<std::int64_t>();
  };
}

// A count of hours or minutes: 0 to INT32_MAX (in microseconds it still fits an int64).
inline Result<int> count(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::int64_t n, integer_in(0, 2147483647)(l, f, v));
  return static_cast<int>(n);
}

// A string naming a value of E (parsed by `parse`); `set` lists the names for the message.
template <class E>
auto one_of(std::optional<E> (*parse)(std::string_view), std::string_view set) {
  return [parse, set](const Line& l, std::string_view f, const json& v) -> Result<E> {
    GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
    if (auto e = parse(s)) return *e;
    return l.error(f, shown(s) + " is not one of " + std::string(set));
  };
}

// The media a binding can have: every Media but `none`.
inline std::optional<core::Media> parse_binding_media(std::string_view s) {
  auto m = core::parse_media(s);
  return m == core::Media::none ? std::nullopt : m;
}

// SEC1 uncompressed point: 130 hex digits starting 04, either case, returned lower-case.
inline Result<std::string> public_key_hex(const Line& l, std::string_view f, const json& v) {
  GATE_TRY_ASSIGN(std::string s, any_text(l, f, v));
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  bool hex = std::all_of(s.begin(), s.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (s.size() != 130 || !hex || !s.starts_with("04")) {
    return l.error(f, "expected 130 hex digits starting 04 (SEC1 uncompressed point)");
  }
  return s;
}

// An array of non-empty strings (the lines or stations of a policy scope).
inline Result<std::vector<std::string>> name_list(const Line& l, std::string_view f,
                                                  const json& v) {
  if (!v.is_array()) return l.error(f, expected("an array of strings", v));
  std::vector<std::string> names;
  for (const json& item : v) {
    if (!item.is_string()) {
      return l.error(f, "expected an array of strings, element " + std::to_string(names.size()) +
                            " is " + item.type_name());
    }
    if (item.get_ref<const std::string&>().empty()) {
      return l.error(f, "element " + std::to_string(names.size()) + " is an empty name");
    }
    names.push_back(item.get<std::string>());
  }
  return names;
}

// Field `f` converted by `conv`; "missing" when absent.
template <class Conv>
auto required(const Line& l, std::string_view f, Conv conv) -> decltype(conv(l, f, l.obj)) {
  const json* v = l.find(f);
  if (!v) return l.error(f, "missing");
  return conv(l, f, *v);
}

// Field `f` converted by `conv`, or `fallback` when absent.
template <class T, class Conv>
Result<T> optional_or(const Line& l, std::string_view f, T fallback, Conv conv) {
  const json* v = l.find(f);
  if (!v) return fallback;
  GATE_TRY_ASSIGN(T value, conv(l, f, *v));
  return value;
}

// "unknown field" for the first field not in `allowed` (nor `type` at the top level).
inline Status only_fields(const Line& l, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : l.obj.items()) {
    if (l.path.empty() && item.key() == "type") continue;
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      return l.error(item.key(), "unknown field");
    }
  }
  return ok_status();
}

}  // namespace gate::store::record_fields

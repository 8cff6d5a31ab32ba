// Enum <-> stable name tables, shared by every enum whose names appear in records and logs.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

namespace gate::core {

template <class E, std::size_t N>
using NameTable = std::pair<E, std::string_view>[N];

template <class E, std::size_t N>
constexpr std::string_view name_of(const std::pair<E, std::string_view> (&table)[N], E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <class E, std::size_t N>
constexpr std::optional<E> value_of(const std::pair<E, std::string_view> (&table)[N],
                                    std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace gate::core

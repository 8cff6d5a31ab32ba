// The parts of an `https://host[:port]/path/` URL the feed client needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hal/result.h"

namespace gate::sync {

struct HttpsUrl {
  std::string host;  // a name or an address (IPv6 without its brackets)
  std::uint16_t port = 443;
  std::string path;  // starts with '/'; "/" when the URL has none
};

// Parses an https URL; refuses other schemes, user info (credentials), an empty host, a bad port,
// a query or fragment, and bytes a request line cannot carry.
Result<HttpsUrl> parse_https_url(std::string_view url);

// `base.path` joined with `relative` (a path without a leading '/', or one with it, which replaces
// the base path); refuses spaces and control bytes.
Result<std::string> join_path(const std::string& base_path, std::string_view relative);

}  // namespace gate::sync

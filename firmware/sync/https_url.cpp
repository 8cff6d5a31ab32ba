#include "firmware/sync/https_url.h"

#include <charconv>

namespace gate::sync {
namespace {

bool request_safe(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<HttpsUrl> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return make_error(Errc::invalid_argument, "url: not an https:// URL");
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "url: user info is not accepted");
  }
  if (path.find_first_of("?#") != std::string_view::npos || !request_safe(path)) {
    return make_error(Errc::invalid_argument, "url: path has a query, fragment or unsafe byte");
  }
  HttpsUrl out;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error(Errc::invalid_argument, "url: bad [");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return make_error(Errc::invalid_argument, "url: junk after ]");
    }
    if (!after.empty()) port_text = after.substr(1);
    if (after == ":") return make_error(Errc::invalid_argument, "url: empty port");
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return make_error(Errc::invalid_argument, "url: empty port");
    }
  }
  if (out.host.empty() || !request_safe(out.host)) {
    return make_error(Errc::invalid_argument, "url: empty or unsafe host");
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return make_error(Errc::invalid_argument, "url: bad port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  out.path = std::string(path);
  return out;
}

Result<std::string> join_path(const std::string& base_path, std::string_view relative) {
  if (!request_safe(relative) || relative.find_first_of("#") != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "url: unsafe request path");
  }
  if (!relative.empty() && relative.front() == '/') return std::string(relative);
  std::string out = base_path.empty() ? "/" : base_path;
  if (out.back() != '/') out += '/';
  out += relative;
  return out;
}

}  // namespace gate::sync

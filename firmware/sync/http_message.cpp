#include "firmware/sync/http_message.h"

#include <charconv>

namespace gate::sync {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Error bad_http(std::string what) {
  return make_error(Errc::malformed, "http: " + std::move(what));
}

}  // namespace

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<ResponseHead> parse_response_head(std::string_view head) {
  std::size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 200 OK": the reason phrase may be empty.
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return bad_http("bad status line");
  }
  const auto code = parse_decimal(status_line.substr(9, 3));
  if (!code || *code < 100) return bad_http("bad status code");
  ResponseHead out;
  out.status = static_cast<int>(*code);
  const bool http10 = status_line[7] == '0';
  bool keep_alive = !http10;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad_http("header line without ':'");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      const auto length = parse_decimal(value);
      if (!length) return bad_http("bad Content-Length");
      if (out.content_length && *out.content_length != *length) {
        return bad_http("conflicting Content-Length");
      }
      out.content_length = length;
    } else if (iequals(name, "content-range")) {
      out.content_range = std::string(value);
    } else if (iequals(name, "etag")) {
      out.etag = std::string(value);
    } else if (iequals(name, "last-modified")) {
      out.last_modified = std::string(value);
    } else if (iequals(name, "transfer-encoding")) {
      if (!iequals(value, "chunked")) return bad_http("unsupported Transfer-Encoding");
      out.chunked = true;
    } else if (iequals(name, "connection")) {
      if (iequals(value, "close")) keep_alive = false;
      if (iequals(value, "keep-alive")) keep_alive = true;
    }
  }
  out.connection_close = !keep_alive;
  return out;
}

Result<ContentRange> parse_content_range(std::string_view value) {
  constexpr std::string_view kUnit = "bytes ";
  if (value.substr(0, kUnit.size()) != kUnit) return bad_http("Content-Range is not in bytes");
  value.remove_prefix(kUnit.size());
  const std::size_t slash = value.find('/');
  if (slash == std::string_view::npos) return bad_http("Content-Range without '/'");
  std::string_view span = value.substr(0, slash);
  std::string_view total = value.substr(slash + 1);
  ContentRange out;
  if (total != "*") {
    out.total = parse_decimal(total);
    if (!out.total) return bad_http("bad Content-Range total");
  }
  if (span == "*") {
    if (!out.total) return bad_http("Content-Range */*");
    return out;
  }
  const std::size_t dash = span.find('-');
  if (dash == std::string_view::npos) return bad_http("Content-Range without '-'");
  out.first = parse_decimal(span.substr(0, dash));
  const auto last = parse_decimal(span.substr(dash + 1));
  if (!out.first || !last || *last < *out.first) return bad_http("bad Content-Range span");
  if (out.total && *last >= *out.total) return bad_http("Content-Range past its total");
  out.last = *last;
  return out;
}

}  // namespace gate::sync

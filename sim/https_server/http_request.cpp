#include "sim/https_server/http_request.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "firmware/sync/http_message.h"

namespace gate::sim {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

PendingRequest parse_head(std::string_view head) {
  PendingRequest p;
  HttpRequest& r = p.request;
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return {{}, true, 0, 400};
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return {{}, true, 0, 400};
  p.close = version == "HTTP/1.0";
  std::optional<std::uint64_t> length;
  bool chunked = false;
  while (eol != std::string_view::npos) {
    std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h =
        head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    if (h.empty()) continue;
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) return {{}, true, 0, 400};
    std::string_view name = trim(h.substr(0, colon));
    std::string_view value = trim(h.substr(colon + 1));
    r.headers.emplace_back(name, value);
    if (iequals(name, "Connection")) {
      if (iequals(value, "close")) p.close = true;
      if (iequals(value, "keep-alive")) p.close = false;
    } else if (iequals(name, "Content-Length")) {
      std::optional<std::uint64_t> n = sync::parse_decimal(value);
      // Two different lengths leave the body's end unknown (a smuggling classic): refused.
      if (!n || (length && *length != *n)) return {{}, true, 0, 400};
      length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      chunked = true;
    }
  }
  if (chunked) return {{}, true, 0, 411};
  if (!length && (r.method == "POST" || r.method == "PUT")) return {{}, true, 0, 411};
  p.body_length = length.value_or(0);
  return p;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace gate::sim

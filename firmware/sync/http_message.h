// HTTP/1.1 response heads as the feed client reads them: status line, the headers it acts on,
// and Content-Range. Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hal/result.h"

namespace gate::sync {

struct ResponseHead {
  int status = 0;
  std::optional<std::uint64_t> content_length;
  std::string content_range;  // raw header value, empty when absent
  std::string etag;
  std::string last_modified;
  bool chunked = false;           // Transfer-Encoding: chunked
  bool connection_close = false;  // the server will close after this response
};

// `bytes first-last/total` (or `bytes */total` on a 416).
struct ContentRange {
  std::optional<std::uint64_t> first;  // absent for `*`
  std::uint64_t last = 0;
  std::optional<std::uint64_t> total;  // absent for `/*`
};

// Parses a response head: everything up to (not including) the blank line. Refuses anything but
// HTTP/1.x with a 3-digit status, header lines without ':', conflicting Content-Length values.
Result<ResponseHead> parse_response_head(std::string_view head);

// Parses a Content-Range value; refuses other units and last < first.
Result<ContentRange> parse_content_range(std::string_view value);

// Parses a decimal number that fits in 64 bits (no sign, no spaces).
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace gate::sync

// The loopback HTTPS server's reading of a request head (https_server.h): the request line, the
// headers, and what they mean for the connection. Pure parsing, no I/O; internal to the server.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/https_server/https_server.h"

namespace gate::sim {

// A request head read, its body not yet: what the server needs to know to read and answer it.
struct PendingRequest {
  HttpRequest request;
  bool close = false;
  std::uint64_t body_length = 0;
  int refusal = 0;  // a status the server answers itself (and closes), without the handler
};

// Parses a request head (everything before the blank line). A request line or header the server
// cannot read, two different Content-Lengths, a Transfer-Encoding, or a POST/PUT without a length
// come back with `refusal` set (400 or 411) and `close`.
PendingRequest parse_head(std::string_view head);

}  // namespace gate::sim

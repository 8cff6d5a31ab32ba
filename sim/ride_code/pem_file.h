// Reading and writing the small text files keys live in (PEM).
#pragma once

#include <string>
#include <string_view>

#include "hal/result.h"

namespace gate::sim {

// The contents of a small text file (at most 64 KiB): Errc::not_found, io_error or malformed (too
// large), each with the path and errno text.
Result<std::string> read_small_file(const std::string& path);

// Writes `text` to a new file with the permission bits `mode` (0600 for a private key); refuses to
// replace an existing file (Errc::invalid_argument) and removes what it wrote if writing fails.
Status write_new_file(const std::string& path, std::string_view text, unsigned mode);

}  // namespace gate::sim

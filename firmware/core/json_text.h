// Writing JSON text by hand (decision records, record lines): the one string escaper.
#pragma once

#include <string>
#include <string_view>

namespace gate::core {

// Appends `text` as a JSON string: quotes, backslash and control characters escaped (the latter as
// \u00xx), everything else (UTF-8 included) passed through byte for byte.
void append_json_string(std::string& out, std::string_view text);

}  // namespace gate::core

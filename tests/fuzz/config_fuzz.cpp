// The configuration file (firmware/app/config.h) and the value parsers under it. The key
// journal_secret names a file the parser reads: an input naming one is skipped, so the fuzzer
// never opens what it likes (a FIFO or /dev/zero would hang it); everything else parses without
// touching the disk.
#include <sstream>
#include <string>

#include "firmware/app/config.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gate::fuzz::as_text(data, size);
  (void)gate::app::parse_duration(text);
  (void)gate::app::parse_byte_size(text);
  (void)gate::app::parse_utc_offset(text);
  if (text.find("journal_secret") != std::string_view::npos) return 0;
  std::istringstream in{std::string(text)};
  (void)gate::app::parse_config(in, false);
  return 0;
}

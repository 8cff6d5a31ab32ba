// Cache record lines (spec/records.md) as the record loader reads them: one line on its own and
// the input as a whole JSON Lines stream.
#include <sstream>
#include <string>

#include "firmware/store/record_loader.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gate::fuzz::as_text(data, size);
  (void)gate::store::parse_record_line(text, 1);
  std::istringstream in{std::string(text)};
  (void)gate::store::parse_records(in);
  return 0;
}

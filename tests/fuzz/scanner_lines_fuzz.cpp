// The code scanner's line framing (drivers/line_assembler.h). The first byte picks the longest
// line kept, the second the size of the reads; the rest is the byte stream. Reads of any size
// must give the same lines as one read of everything, each non-empty, within the limit and free
// of CR and LF.
#include <string>
#include <vector>

#include "drivers/line_assembler.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using gate::fuzz::fuzz_require;

std::vector<std::string> lines_of(gate::drivers::LineAssembler& assembler) {
  std::vector<std::string> out;
  while (auto line = assembler.take()) out.push_back(line->text);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gate::fuzz::FuzzInput input(data, size);
  const std::size_t max_line = input.byte();
  const std::size_t read_size = input.byte() % 16 + 1;
  const std::string_view stream = gate::fuzz::as_text(input.rest().data(), input.rest().size());
  const gate::MonoInstant at{};

  gate::drivers::LineAssembler whole(max_line);
  const std::size_t overlong_whole = whole.feed(stream, at);
  const std::vector<std::string> expected = lines_of(whole);

  gate::drivers::LineAssembler pieces(max_line);
  std::size_t overlong_pieces = 0;
  std::vector<std::string> got;
  for (std::size_t i = 0; i < stream.size(); i += read_size) {
    overlong_pieces += pieces.feed(stream.substr(i, read_size), at);
    for (std::string& line : lines_of(pieces)) got.push_back(std::move(line));
  }

  fuzz_require(got == expected, "same lines whatever the reads");
  fuzz_require(overlong_pieces == overlong_whole, "same over-long count whatever the reads");
  for (const std::string& line : got) {
    fuzz_require(!line.empty() && line.size() <= max_line, "line length");
    fuzz_require(line.find_first_of("\r\n") == std::string::npos, "no terminator in a line");
  }
  return 0;
}

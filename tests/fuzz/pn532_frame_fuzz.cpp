// The PN532 host-link frame parser of the emulator (sim/pn532/pn532_frame.h) on the bytes a host
// sends. The parser keeps its state across reads, so the input fed whole and fed one byte at a
// time must give the same frames; an information frame never carries more than kMaxFrameBody.
#include <vector>

#include "sim/pn532/pn532_frame.h"
#include "tests/fuzz/fuzz_target.h"

using gate::fuzz::fuzz_require;
using gate::sim::pn532::FrameEvent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gate::sim::pn532::FrameParser whole;
  const std::vector<FrameEvent> at_once = whole.feed({data, size});

  gate::sim::pn532::FrameParser bytewise;
  std::vector<FrameEvent> one_by_one;
  for (std::size_t i = 0; i < size; ++i) {
    for (FrameEvent& e : bytewise.feed({data + i, 1})) one_by_one.push_back(std::move(e));
  }

  fuzz_require(at_once.size() == one_by_one.size(), "same number of frames however fed");
  for (std::size_t i = 0; i < at_once.size(); ++i) {
    const FrameEvent& a = at_once[i];
    const FrameEvent& b = one_by_one[i];
    fuzz_require(a.kind == b.kind && a.tfi == b.tfi && a.data == b.data &&
                     a.extended == b.extended,
                 "same frames however fed");
    if (a.kind == FrameEvent::Kind::info) {
      fuzz_require(a.data.size() + 1 <= gate::sim::pn532::kMaxFrameBody, "frame body bound");
    }
  }
  fuzz_require(whole.skipped() == bytewise.skipped(), "same bytes skipped however fed");
  return 0;
}

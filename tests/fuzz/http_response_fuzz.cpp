// HTTP response heads as the sync client reads them (firmware/sync/http_message.h): the head
// parser, then Content-Range the way the download path uses it, and the decimal parser alone.
#include "firmware/sync/http_message.h"
#include "tests/fuzz/fuzz_target.h"

using gate::fuzz::fuzz_require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gate::fuzz::as_text(data, size);
  auto head = gate::sync::parse_response_head(text);
  if (head) {
    fuzz_require(head->status >= 100 && head->status <= 999, "3-digit status");
    if (!head->content_range.empty()) {
      auto range = gate::sync::parse_content_range(head->content_range);
      if (range && range->first) fuzz_require(range->last >= *range->first, "range last >= first");
    }
  }
  auto range = gate::sync::parse_content_range(text);
  if (range && range->first) fuzz_require(range->last >= *range->first, "range last >= first");
  (void)gate::sync::parse_decimal(text);
  return 0;
}

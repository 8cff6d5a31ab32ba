// Feed files and manifests as downloaded (firmware/feed/feed_file.h, feed_format.h): the header
// parser, the container, and the record and manifest payload decoders, on the container's payload
// and on the raw input (so payload mutations are not wasted on a container's header). What
// decodes must encode again, and that encoding must decode and encode to the same bytes.
#include <algorithm>
#include <vector>

#include "firmware/feed/feed_file.h"
#include "firmware/feed/feed_format.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using gate::fuzz::fuzz_require;

void records(std::span<const std::uint8_t> payload) {
  auto decoded = gate::feed::decode_records(payload);
  if (!decoded) return;
  auto encoded = gate::feed::encode_records(*decoded);
  fuzz_require(encoded.ok(), "decoded records encode");
  auto again = gate::feed::decode_records(*encoded);
  fuzz_require(again.ok() && again->size() == decoded->size(), "encoded records decode");
  auto encoded_again = gate::feed::encode_records(*again);
  fuzz_require(encoded_again.ok() && *encoded_again == *encoded, "records encoding stable");
}

void manifest(std::span<const std::uint8_t> payload) {
  auto decoded = gate::feed::decode_manifest(payload);
  if (!decoded) return;
  const std::vector<std::uint8_t> encoded = gate::feed::encode_manifest(*decoded);
  auto again = gate::feed::decode_manifest(encoded);
  fuzz_require(again.ok(), "encoded manifest decodes");
  fuzz_require(gate::feed::encode_manifest(*again) == encoded, "manifest encoding stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto header = gate::feed::parse_header(bytes.first(std::min(size, gate::feed::kMaxHeaderSize)),
                                         size);
  auto file = gate::feed::parse_container(bytes);
  fuzz_require(header.ok() == file.ok(), "header and container agree");
  if (file) {
    fuzz_require(header->kind == file->kind && header->sequence == file->sequence &&
                     header->payload_size == file->payload.size(),
                 "header and container agree on the fields");
    if (file->kind == gate::feed::FileKind::manifest) {
      manifest(file->payload);
    } else {
      records(file->payload);
    }
  }
  records(bytes);
  manifest(bytes);
  return 0;
}

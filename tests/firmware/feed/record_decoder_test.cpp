// The streaming record decoder against decode_records: the same records or the same error, for
// every payload the format tests use (including the mutated ones), whatever the buffer and however
// the source splits its reads.
#include "firmware/feed/record_decoder.h"

#include <algorithm>
#include <random>

#include "tests/firmware/feed/feed_test_support.h"

using namespace feed_test;
using gate::feed::ByteSource;
using gate::feed::decode_records;
using gate::feed::encode_records;
using gate::feed::RecordDecoder;

namespace {

// A payload served in pieces of at most `chunk` bytes, followed by bytes that are not the
// payload's (the decoder must not read them).
class ChunkedSource final : public ByteSource {
 public:
  ChunkedSource(std::vector<std::uint8_t> bytes, std::size_t chunk)
      : bytes_(std::move(bytes)), chunk_(chunk) {
    bytes_.insert(bytes_.end(), {0xde, 0xad});
  }
  gate::Result<std::size_t> read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min({out.size(), chunk_, bytes_.size() - pos_});
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
    pos_ += n;
    return n;
  }
  std::size_t position() const { return pos_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

// What the streaming decoder makes of `payload`: the re-encoded records, or the error message.
std::string streamed(const std::vector<std::uint8_t>& payload, std::size_t buffer,
                     std::size_t chunk) {
  ChunkedSource source(payload, chunk);
  RecordDecoder decoder(source, payload.size(), buffer);
  std::vector<CacheChange> out;
  CacheChange c;
  for (;;) {
    auto more = decoder.next(c);
    if (!more.ok()) return "error: " + more.error().message;
    if (!*more) break;
    out.push_back(c);
  }
  REQUIRE(source.position() == payload.size());
  auto e = encode_records(out);
  REQUIRE(e.ok());
  return std::string(e->begin(), e->end());
}

std::string batch(const std::vector<std::uint8_t>& payload) {
  auto r = decode_records(payload);
  if (!r.ok()) return "error: " + r.error().message;
  auto e = encode_records(*r);
  REQUIRE(e.ok());
  return std::string(e->begin(), e->end());
}

std::vector<std::uint8_t> encoded(const std::vector<CacheChange>& c) {
  auto e = encode_records(c);
  REQUIRE(e.ok());
  return *e;
}

}  // namespace

TEST_CASE("record decoder: the records of decode_records, whatever the buffer and read sizes") {
  auto bytes = encoded(every_kind());
  CHECK(streamed(bytes, 16, 1) == batch(bytes));
  CHECK(streamed(bytes, 16, 1000) == batch(bytes));
  CHECK(streamed(bytes, 1 << 16, 7) == batch(bytes));
  CHECK(batch(bytes).rfind("error", 0) != 0);
}

TEST_CASE("record decoder: a record larger than its buffer grows the buffer") {
  PolicyRecord p;
  p.id = "wide";
  for (int i = 0; i < 2000; ++i) p.scope_stations.push_back("station-" + std::to_string(i));
  std::vector<CacheChange> changes = {p, DenyEntry{kM1, std::string(4096, 'n')}};
  for (int i = 0; i < 300; ++i) {
    changes.push_back(binding("qr:" + std::to_string(i), "id-" + std::to_string(i),
                              BindingStatus::active, Media::qr, i));
  }
  auto bytes = encoded(changes);
  CHECK(streamed(bytes, 16, 3) == batch(bytes));
  CHECK(streamed(bytes, 4096, 100000) == batch(bytes));
}

TEST_CASE(
    "record decoder: trailing bytes, short input and bad counts give decode_records's errors") {
  auto bytes = encoded(every_kind());
  auto longer = bytes;
  longer.push_back(0);
  CHECK(streamed(longer, 16, 5) == batch(longer));
  CHECK(batch(longer) == "error: records: trailing bytes");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("cut at " << n);
    CHECK(streamed(cut, 16, 1 + n % 9) == batch(cut));
  }
  std::vector<std::uint8_t> huge_count = {0xff, 0xff, 0xff, 0xff, 0x0f};
  CHECK(streamed(huge_count, 16, 2) == batch(huge_count));
}

TEST_CASE("record decoder: equals decode_records on random and mutated input") {
  std::mt19937 gen(20261126);
  auto base = encoded(every_kind());
  std::uniform_int_distribution<int> byte(0, 255);
  int errors = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> m = mutated(base, 1 + round % 4, gen);
    std::string expected = batch(m);
    errors += expected.rfind("error", 0) == 0 ? 1 : 0;
    std::size_t buffer = 16 + gen() % 64;
    std::size_t chunk = 1 + gen() % 32;
    INFO("round " << round);
    REQUIRE(streamed(m, buffer, chunk) == expected);
  }
  CHECK(errors > 1000);  // the mutations do reach the error paths
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::uint8_t> m(gen() % 200);
    for (auto& b : m) b = static_cast<std::uint8_t>(byte(gen));
    REQUIRE(streamed(m, 16, 1 + gen() % 8) == batch(m));
  }
}

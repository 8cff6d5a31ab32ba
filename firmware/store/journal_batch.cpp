#include "firmware/store/journal_batch.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "firmware/core/bcd.h"

namespace gate::store {
namespace {

constexpr std::string_view kBatchMagic = "GJB1";
constexpr std::string_view kReplyMagic = "GJA1";

Error bad_batch(std::size_t line, const std::string& what) {
  return make_error(Errc::malformed, "journal batch line " + std::to_string(line) + ": " + what);
}

Error bad_reply(const std::string& what) {
  return make_error(Errc::malformed, "collector reply: " + what);
}

// Decimal digits only (no sign, no spaces), fitting 64 bits.
std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits off the text up to the next ' ' (all of it when there is none).
std::string_view next_word(std::string_view& rest) {
  const std::size_t sp = rest.find(' ');
  std::string_view word = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  return word;
}

std::optional<ChainProblem> parse_problem(std::string_view name) {
  for (ChainProblem p : {ChainProblem::gap, ChainProblem::altered, ChainProblem::reordered,
                         ChainProblem::foreign_gate}) {
    if (chain_problem_name(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace

bool valid_batch_gate(std::string_view gate) {
  return !gate.empty() && gate.size() <= 64 && std::all_of(gate.begin(), gate.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string JournalBatch::id() const {
  if (rows.empty()) return gate + ":-";
  return gate + ":" + std::to_string(rows.front().seq) + "-" + std::to_string(rows.back().seq);
}

std::string encode_batch(const JournalBatch& batch) {
  std::string out;
  std::size_t size = 64;
  for (const ChainRow& row : batch.rows) size += row.body.size() + 2 * row.mac.size() + 24;
  out.reserve(size);
  out.append(kBatchMagic).append(" ").append(batch.gate).append(" ");
  out.append(std::to_string(batch.chain_start)).append(" ");
  out.append(std::to_string(batch.rows.size())).append("\n");
  for (const ChainRow& row : batch.rows) {
    out.append(std::to_string(row.seq)).append(" ");
    out.append(core::to_lower_hex(row.mac)).append(" ");
    out.append(row.body).append("\n");
  }
  return out;
}

Result<JournalBatch> parse_batch(std::string_view text, std::size_t max_rows) {
  if (text.empty() || text.back() != '\n') return bad_batch(1, "the text must end with a newline");
  text.remove_suffix(1);
  std::size_t line_no = 1;
  std::size_t eol = text.find('\n');
  std::string_view header = text.substr(0, eol);
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  const bool has_rows = eol != std::string_view::npos;

  JournalBatch batch;
  std::string_view rest = header;
  if (next_word(rest) != kBatchMagic) return bad_batch(1, "not a GJB1 batch");
  batch.gate = std::string(next_word(rest));
  if (!valid_batch_gate(batch.gate)) return bad_batch(1, "bad gate id");
  const auto chain_start = decimal(next_word(rest));
  if (!chain_start || *chain_start == 0) return bad_batch(1, "bad chain start");
  batch.chain_start = *chain_start;
  const auto count = decimal(next_word(rest));
  if (!count || !rest.empty()) return bad_batch(1, "bad row count");
  if (*count == 0) return bad_batch(1, "an empty batch");
  if (*count > max_rows) {
    return bad_batch(1, std::to_string(*count) + " rows, more than " + std::to_string(max_rows));
  }
  if (!has_rows) return bad_batch(2, "missing rows");

  // The header's count is the sender's word: reserve no more rows than the text can hold (a row
  // is at least a seq, a space, 64 hex digits, a space and one byte of body), or a 40-byte
  // request could ask for exabytes (the collector's fuzz target found it, with no row limit).
  constexpr std::size_t kMinRowBytes = 68;
  batch.rows.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(*count, text.size() / kMinRowBytes + 1)));
  while (true) {
    ++line_no;
    eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (batch.rows.size() == *count) return bad_batch(line_no, "more rows than the header says");
    if (line.find('\r') != std::string_view::npos) return bad_batch(line_no, "carriage return");
    ChainRow row;
    const auto seq = decimal(next_word(line));
    if (!seq || *seq == 0) return bad_batch(line_no, "bad seq");
    row.seq = *seq;
    if (!core::decode_lower_hex(next_word(line), row.mac)) {
      return bad_batch(line_no, "bad mac (64 lowercase hex digits)");
    }
    if (line.empty()) return bad_batch(line_no, "empty body");
    row.body = std::string(line);
    batch.rows.push_back(std::move(row));
    if (eol == std::string_view::npos) break;
    text = text.substr(eol + 1);
  }
  if (batch.rows.size() != *count) return bad_batch(line_no, "fewer rows than the header says");
  return batch;
}

std::string encode_reply(const BatchReply& reply) {
  std::string out = std::string(kReplyMagic) + " acked=" + std::to_string(reply.acked);
  if (reply.problem != ChainProblem::none) {
    out += " problem=" + std::string(chain_problem_name(reply.problem)) +
           " seq=" + std::to_string(reply.problem_seq);
  }
  return out + "\n";
}

Result<BatchReply> parse_reply(std::string_view text) {
  if (text.empty() || text.back() != '\n') return bad_reply("must be one line");
  text.remove_suffix(1);
  if (text.find('\n') != std::string_view::npos) return bad_reply("must be one line");
  if (next_word(text) != kReplyMagic) return bad_reply("not a GJA1 reply");
  // Each field is `name=value`: the first word must be acked, then problem and seq come together.
  auto field = [&text](std::string_view name) -> std::optional<std::string_view> {
    std::string_view word = next_word(text);
    if (!word.starts_with(name) || word.size() <= name.size() || word[name.size()] != '=') {
      return std::nullopt;
    }
    return word.substr(name.size() + 1);
  };
  BatchReply reply;
  const auto acked = field("acked");
  const auto acked_value = acked ? decimal(*acked) : std::nullopt;
  if (!acked_value) return bad_reply("bad acked");
  reply.acked = *acked_value;
  if (text.empty()) return reply;
  const auto problem = field("problem");
  const auto problem_value = problem ? parse_problem(*problem) : std::nullopt;
  if (!problem_value) return bad_reply("bad problem");
  const auto seq = field("seq");
  const auto seq_value = seq ? decimal(*seq) : std::nullopt;
  if (!seq_value || *seq_value == 0 || !text.empty()) return bad_reply("bad seq");
  reply.problem = *problem_value;
  reply.problem_seq = *seq_value;
  return reply;
}

}  // namespace gate::store

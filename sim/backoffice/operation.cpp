// Operations JSON Lines → typed operations. The record-shaped operations (health, issuer_key_add,
// deny, policy) are handed to the record loader itself, so they are checked exactly as records are.
#include "sim/backoffice/operation.h"

#include "firmware/store/record_fields.h"
#include "firmware/store/record_loader.h"

namespace gate::backoffice {
namespace {

using namespace store::record_fields;

constexpr OpKind kAllKinds[] = {
    OpKind::bind,   OpKind::unbind,         OpKind::report_lost,       OpKind::refund,
    OpKind::health, OpKind::issuer_key_add, OpKind::issuer_key_revoke, OpKind::deny,
    OpKind::undeny, OpKind::policy};

std::optional<OpKind> parse_op_kind(std::string_view name) {
  for (OpKind k : kAllKinds) {
    if (op_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

// Whether a credential key may be bound as `media`: tu:/bj: keys are ISO 14443-4 cards (physical
// or in a phone), m1: keys MIFARE Classic cards, qr: keys ride-code accounts.
bool key_fits_media(std::string_view key, core::Media media) {
  switch (*core::credential_key_kind(key)) {
    case core::KeyKind::tu:
    case core::KeyKind::bj:
      return media == core::Media::card || media == core::Media::phone_card;
    case core::KeyKind::m1:
      return media == core::Media::m1;
    case core::KeyKind::qr:
      return media == core::Media::qr;
  }
  return false;
}

// The operation as a records.md record ("op" becomes "type": `record_type`), parsed by the loader.
Result<store::CacheChange> as_record(const json& obj, std::string_view record_type,
                                     std::size_t line_no) {
  json rec = obj;
  rec.erase("op");
  rec["type"] = record_type;
  return store::parse_record_line(rec.dump(), line_no);
}

Status credential_op(const Line& l, Operation& op, bool with_time) {
  if (with_time) {
    GATE_TRY(only_fields(l, {"op", "credential", "at"}));
    GATE_TRY_ASSIGN(op.at, required(l, "at", instant));
  } else {
    GATE_TRY(only_fields(l, {"op", "credential"}));
  }
  GATE_TRY_ASSIGN(op.credential, required(l, "credential", credential_key));
  return ok_status();
}

Status bind(const Line& l, Operation& op) {
  GATE_TRY(only_fields(l, {"op", "at", "credential", "identity", "media", "by"}));
  GATE_TRY_ASSIGN(op.at, required(l, "at", instant));
  GATE_TRY_ASSIGN(op.credential, required(l, "credential", credential_key));
  GATE_TRY_ASSIGN(op.identity, required(l, "identity", identity));
  GATE_TRY_ASSIGN(op.media,
                  required(l, "media", one_of(parse_binding_media, "card, phone_card, m1, qr")));
  GATE_TRY_ASSIGN(op.by, required(l, "by", identity));
  if (!key_fits_media(op.credential, op.media)) {
    return l.error("media", "\"" + std::string(core::media_name(op.media)) +
                                "\" does not fit the credential key's kind (tu:/bj: card or "
                                "phone_card, m1: m1, qr: qr)");
  }
  return ok_status();
}

Status issuer_key_revoke(const Line& l, Operation& op) {
  GATE_TRY(only_fields(l, {"op", "issuer_id", "key_id"}));
  GATE_TRY_ASSIGN(std::int64_t issuer, required(l, "issuer_id", integer_in(0, 65535)));
  GATE_TRY_ASSIGN(std::int64_t key, required(l, "key_id", integer_in(0, 255)));
  op.issuer_id = static_cast<std::uint16_t>(issuer);
  op.key_id = static_cast<std::uint8_t>(key);
  return ok_status();
}

Result<Operation> parse_object(const json& obj, std::size_t line_no) {
  Line l{obj, line_no};
  Operation op;
  op.line = line_no;
  GATE_TRY_ASSIGN(std::string name, required(l, "op", any_text));
  std::optional<OpKind> kind = parse_op_kind(name);
  if (!kind) return l.error("op", "unknown operation " + shown(name));
  op.kind = *kind;
  switch (op.kind) {
    case OpKind::bind:
      GATE_TRY(bind(l, op));
      break;
    case OpKind::unbind:
    case OpKind::report_lost:
    case OpKind::refund:
      GATE_TRY(credential_op(l, op, /*with_time=*/true));
      break;
    case OpKind::undeny:
      GATE_TRY(credential_op(l, op, /*with_time=*/false));
      break;
    case OpKind::issuer_key_revoke:
      GATE_TRY(issuer_key_revoke(l, op));
      break;
    case OpKind::issuer_key_add: {
      if (l.find("revoked")) return l.error("revoked", "unknown field (use issuer_key_revoke)");
      GATE_TRY_ASSIGN(op.record, as_record(obj, "issuer_key", line_no));
      break;
    }
    case OpKind::health:
    case OpKind::deny:
    case OpKind::policy: {
      GATE_TRY_ASSIGN(op.record, as_record(obj, op_kind_name(op.kind), line_no));
      break;
    }
  }
  return op;
}

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::bind:
      return "bind";
    case OpKind::unbind:
      return "unbind";
    case OpKind::report_lost:
      return "report_lost";
    case OpKind::refund:
      return "refund";
    case OpKind::health:
      return "health";
    case OpKind::issuer_key_add:
      return "issuer_key_add";
    case OpKind::issuer_key_revoke:
      return "issuer_key_revoke";
    case OpKind::deny:
      return "deny";
    case OpKind::undeny:
      return "undeny";
    case OpKind::policy:
      return "policy";
  }
  return "?";
}

Result<Operation> parse_operation_line(std::string_view text, std::size_t line_no) {
  const std::string where = "line " + std::to_string(line_no) + ": ";
  try {
    json obj = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded()) return make_error(Errc::malformed, where + "not valid JSON");
    if (!obj.is_object()) return make_error(Errc::malformed, where + "not a JSON object");
    return parse_object(obj, line_no);
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, where + e.what());
  }
}

Result<std::vector<Operation>> parse_operations(std::istream& in) {
  std::vector<Operation> ops;
  std::string text;
  std::size_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    GATE_TRY_ASSIGN(Operation op, parse_operation_line(text, line_no));
    ops.push_back(std::move(op));
  }
  if (in.bad()) return make_error(Errc::io_error, "reading operations failed");
  return ops;
}

}  // namespace gate::backoffice

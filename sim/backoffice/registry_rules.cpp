// The source document's rules, applied to one operation at a time inside the batch's transaction
// (README "gate-backoffice" has the readings where the document is silent):
//   S5  an identity holds at most one physical card (card or m1) and one phone card that is active
//       or lost; a second needs the first unbound; ride codes are not limited.
//   S6  one person holds at most 5 active or lost credentials bound for other identities.
//   S8  a credential bound to someone else cannot be bound; report_lost makes a binding lost.
//   S11 refund makes a binding blocked for good: never bound or unbound again.
#include "firmware/core/json_text.h"
#include "firmware/store/record_loader.h"
#include "sim/backoffice/registry.h"
#include "sim/backoffice/registry_store.h"
#include "sim/populate/record_lines.h"

namespace gate::backoffice {
namespace {

using core::BindingStatus;
using core::Media;
using registry_store::BindingRow;
using registry_store::Kind;

constexpr int kMaxOnBehalf = 5;

Error refused(const Operation& op, std::string_view rule, const std::string& why) {
  return make_error(Errc::invalid_argument,
                    "line " + std::to_string(op.line) + ": " + std::string(rule) + ": " + why);
}

std::string masked(std::string_view credential) {
  return core::mask_credential(credential);
}

std::string issuer_key_key(std::uint16_t issuer_id, std::uint8_t key_id) {
  return std::to_string(issuer_id) + "/" + std::to_string(key_id);
}

// The binding as a record line and as rule state, both written under change `seq`.
Status write_binding(sqlite3* db, std::uint64_t seq, const BindingRow& row, Instant since) {
  GATE_TRY(registry_store::put_binding(db, row));
  std::string line;
  sim::append_binding_line(line, {row.credential, row.identity, row.media, row.status, since},
                           kRecordUtcOffsetMinutes);
  return registry_store::put_record(db, seq, Kind::binding, row.credential, line);
}

// S5: the identity's slot for this kind of card must be free.
Status check_slot(sqlite3* db, const Operation& op) {
  if (op.media == Media::qr) return ok_status();  // ride-code accounts are not limited by S5
  bool phone = op.media == Media::phone_card;
  Media a = phone ? Media::phone_card : Media::card;
  Media b = phone ? Media::phone_card : Media::m1;
  GATE_TRY_ASSIGN(auto holder, registry_store::slot_holder(db, op.identity, a, b));
  if (!holder) return ok_status();
  std::string what = phone ? "phone card" : "physical card";
  std::string status(core::binding_status_name(holder->status));
  return refused(
      op, "S5",
      "identity " + op.identity + " already has " +
          (holder->status == BindingStatus::active ? "an active " : "a " + status + " ") + what +
          " " + masked(holder->credential) + "; unbind it first");
}

Status bind(sqlite3* db, std::uint64_t seq, const Operation& op) {
  GATE_TRY_ASSIGN(auto existing, registry_store::find_binding(db, op.credential));
  std::string cred = masked(op.credential);
  if (existing && existing->status == BindingStatus::blocked) {
    return refused(op, "S11", "credential " + cred + " was refunded and cannot be bound again");
  }
  if (existing && existing->status != BindingStatus::unbound) {
    if (existing->identity != op.identity) {
      return refused(op, "S8", "credential " + cred + " is bound to another identity");
    }
    return refused(op, "S5",
                   "credential " + cred + " is already bound to identity " + op.identity + " (" +
                       std::string(core::binding_status_name(existing->status)) +
                       "); unbind it first");
  }
  GATE_TRY(check_slot(db, op));
  if (op.by != op.identity) {
    GATE_TRY_ASSIGN(int count, registry_store::count_on_behalf(db, op.by));
    if (count >= kMaxOnBehalf) {
      return refused(op, "S6",
                     op.by + " already has " + std::to_string(count) +
                         " credentials upgraded on behalf of others (at most " +
                         std::to_string(kMaxOnBehalf) + "); unbind one first");
    }
  }
  return write_binding(db, seq,
                       {op.credential, op.identity, op.media, BindingStatus::active, op.by}, op.at);
}

// unbind, report_lost, refund: a status change of a known binding.
Status change_status(sqlite3* db, std::uint64_t seq, const Operation& op) {
  GATE_TRY_ASSIGN(auto existing, registry_store::find_binding(db, op.credential));
  std::string name(op_kind_name(op.kind));
  std::string cred = masked(op.credential);
  if (!existing) return refused(op, name, "credential " + cred + " has never been bound");
  BindingRow row = *existing;
  std::string status(core::binding_status_name(row.status));
  switch (op.kind) {
    case OpKind::unbind:
      if (row.status == BindingStatus::blocked) {
        return refused(op, "S11", "credential " + cred + " was refunded; it stays blocked");
      }
      if (row.status == BindingStatus::unbound) {
        return refused(op, name, "credential " + cred + " is not bound");
      }
      row.status = BindingStatus::unbound;
      break;
    case OpKind::report_lost:
      if (row.status != BindingStatus::active) {
        return refused(op, "S8", "credential " + cred + " is " + status + ", not active");
      }
      row.status = BindingStatus::lost;
      break;
    default:  // refund
      if (row.status == BindingStatus::blocked) {
        return refused(op, "S11", "credential " + cred + " was already refunded");
      }
      row.status = BindingStatus::blocked;
      break;
  }
  return write_binding(db, seq, row, op.at);
}

std::string delete_deny_line(std::string_view credential) {
  std::string line = R"({"type":"delete","kind":"deny","credential":)";
  core::append_json_string(line, credential);
  return line + "}\n";
}

Status issuer_key_revoke(sqlite3* db, std::uint64_t seq, const Operation& op) {
  std::string key = issuer_key_key(op.issuer_id, op.key_id);
  GATE_TRY_ASSIGN(auto line, registry_store::find_record(db, Kind::issuer_key, key));
  if (!line) return refused(op, "issuer_key_revoke", "issuer key " + key + " was never added");
  GATE_TRY_ASSIGN(store::CacheChange rec, store::parse_record_line(*line, op.line));
  core::IssuerKey k = std::get<core::IssuerKey>(rec);
  if (k.revoked) return refused(op, "issuer_key_revoke", "issuer key " + key + " is revoked");
  k.revoked = true;
  std::string out;
  sim::append_issuer_key_line(out, k, kRecordUtcOffsetMinutes);
  return registry_store::put_record(db, seq, Kind::issuer_key, key, out);
}

// health, issuer_key_add, deny, policy: the operation's record, upserted.
Status put(sqlite3* db, std::uint64_t seq, const Operation& op) {
  constexpr int tz = kRecordUtcOffsetMinutes;
  std::string line;
  if (const auto* h = std::get_if<core::HealthStatus>(&*op.record)) {
    sim::append_health_line(line, *h, tz);
    return registry_store::put_record(db, seq, Kind::health, h->identity, line);
  }
  if (const auto* p = std::get_if<core::PolicyRecord>(&*op.record)) {
    sim::append_policy_line(line, *p, tz);
    return registry_store::put_record(db, seq, Kind::policy, p->id, line);
  }
  if (const auto* d = std::get_if<core::DenyEntry>(&*op.record)) {
    sim::append_deny_line(line, *d);
    return registry_store::put_record(db, seq, Kind::deny, d->credential, line);
  }
  const auto& k = std::get<core::IssuerKey>(*op.record);
  std::string key = issuer_key_key(k.issuer_id, k.key_id);
  GATE_TRY_ASSIGN(auto existing, registry_store::find_record(db, Kind::issuer_key, key));
  if (existing) {
    return refused(op, "issuer_key_add", "issuer key " + key + " exists; keys are not replaced");
  }
  sim::append_issuer_key_line(line, k, tz);
  return registry_store::put_record(db, seq, Kind::issuer_key, key, line);
}

}  // namespace

Status Registry::apply_one(const Operation& op, std::uint64_t seq) {
  sqlite3* db = db_.get();
  switch (op.kind) {
    case OpKind::bind:
      return bind(db, seq, op);
    case OpKind::unbind:
    case OpKind::report_lost:
    case OpKind::refund:
      return change_status(db, seq, op);
    case OpKind::issuer_key_revoke:
      return issuer_key_revoke(db, seq, op);
    case OpKind::undeny: {
      GATE_TRY_ASSIGN(auto line, registry_store::find_record(db, Kind::deny, op.credential));
      if (!line) {
        return refused(op, "undeny",
                       "credential " + masked(op.credential) + " is not on the deny list");
      }
      return registry_store::remove_record(db, seq, Kind::deny, op.credential,
                                           delete_deny_line(op.credential));
    }
    case OpKind::health:
    case OpKind::issuer_key_add:
    case OpKind::deny:
    case OpKind::policy:
      return put(db, seq, op);
  }
  return ok_status();
}

}  // namespace gate::backoffice

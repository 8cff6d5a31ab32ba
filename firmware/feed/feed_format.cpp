// The record payload of feed_format.h. The decoder checks every value against its set, so what it
// returns could equally have come from the JSON Lines loader.
#include "firmware/feed/feed_format.h"

#include "firmware/feed/byte_io.h"
#include "firmware/feed/feed_fields.h"
#include "firmware/feed/record_decoder.h"

namespace gate::feed {
namespace {

using store::CacheChange;
using store::Deletion;
using store::RecordKind;
using namespace fields;

enum Tag : std::uint8_t { kBinding = 1, kHealth, kPolicy, kIssuerKey, kDeny, kDelete };

}  // namespace

std::optional<CacheChange> decode_record(ByteReader& r) {
  auto tag = r.byte();
  if (!tag) return std::nullopt;
  switch (*tag) {
    case kBinding: {
      auto cred = get_credential(r);
      auto id = cred ? r.str(64) : std::nullopt;
      if (!id || !valid_identity(*id)) return std::nullopt;
      auto media = get_enum(r, 4);
      auto status = media ? get_enum(r, 4) : std::nullopt;
      auto since = status ? get_instant(r) : std::nullopt;
      if (!since) return std::nullopt;
      return core::Binding{*cred, *id, static_cast<core::Media>(*media),
                           static_cast<core::BindingStatus>(*status), *since};
    }
    case kHealth: {
      auto id = r.str(64);
      if (!id || !valid_identity(*id)) return std::nullopt;
      auto colour = get_enum(r, 3);
      auto popup = colour ? get_bool(r) : std::nullopt;
      auto has_test = popup ? get_bool(r) : std::nullopt;
      if (!has_test) return std::nullopt;
      core::HealthStatus h{*id, static_cast<core::HealthColour>(*colour), *popup, {}, {}};
      if (*has_test) {
        auto t = get_instant(r);
        if (!t) return std::nullopt;
        h.last_negative_test = *t;
      }
      auto as_of = get_instant(r);
      if (!as_of) return std::nullopt;
      h.as_of = *as_of;
      return h;
    }
    case kPolicy: {
      core::PolicyRecord p;
      auto id = r.str(kMaxName);
      auto from = id && !id->empty() ? get_instant(r) : std::nullopt;
      auto lines = from ? get_names(r) : std::nullopt;
      auto stations = lines ? get_names(r) : std::nullopt;
      if (!stations) return std::nullopt;
      auto mode = get_enum(r, 3);
      auto not_up = mode ? get_enum(r, 4) : std::nullopt;
      auto unknown = not_up ? get_enum(r, 3) : std::nullopt;
      auto yellow = unknown ? get_bool(r) : std::nullopt;
      auto popup = yellow ? get_enum(r, 2) : std::nullopt;
      auto test_age = popup ? get_count(r) : std::nullopt;
      auto cache_age = test_age ? get_count(r) : std::nullopt;
      auto stale = cache_age ? get_enum(r, 3) : std::nullopt;
      auto passback = stale ? get_count(r) : std::nullopt;
      auto m1 = passback ? get_bool(r) : std::nullopt;
      if (!m1) return std::nullopt;
      p.id = *id;
      p.effective_from = *from;
      p.scope_lines = std::move(*lines);
      p.scope_stations = std::move(*stations);
      p.policy = core::Policy{static_cast<core::HealthMode>(*mode),
                              static_cast<core::NotUpgradedPolicy>(*not_up),
                              static_cast<core::ThreeWayPolicy>(*unknown),
                              *yellow,
                              static_cast<core::PopupPolicy>(*popup),
                              *test_age,
                              *cache_age,
                              static_cast<core::ThreeWayPolicy>(*stale),
                              *passback,
                              *m1};
      return p;
    }
    case kIssuerKey: {
      auto issuer = r.big_endian(2);
      auto key_id = issuer ? r.byte() : std::nullopt;
      auto point = key_id ? r.bytes(65) : std::nullopt;
      if (!point || (*point)[0] != 0x04) return std::nullopt;
      auto from = get_instant(r);
      auto until = from ? get_instant(r) : std::nullopt;
      auto revoked = until ? get_bool(r) : std::nullopt;
      if (!revoked) return std::nullopt;
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (std::uint8_t b : *point) {
        hex += kHex[b >> 4];
        hex += kHex[b & 15];
      }
      return core::IssuerKey{
          static_cast<std::uint16_t>(*issuer), *key_id, hex, *from, *until, *revoked};
    }
    case kDeny: {
      auto cred = get_credential(r);
      auto note = cred ? r.str(kMaxText) : std::nullopt;
      if (!note) return std::nullopt;
      return core::DenyEntry{*cred, *note};
    }
    case kDelete: {
      auto kind = r.byte();
      if (!kind || *kind < kBinding || *kind > kDeny) return std::nullopt;
      Deletion d;
      d.kind = static_cast<RecordKind>(*kind - 1);
      std::optional<std::string> key;
      switch (*kind) {
        case kBinding:
        case kDeny:
          key = get_credential(r);
          break;
        case kHealth:
          key = r.str(64);
          if (key && !valid_identity(*key)) return std::nullopt;
          break;
        case kPolicy:
          key = r.str(kMaxName);
          if (key && key->empty()) return std::nullopt;
          break;
        default: {
          auto issuer = r.big_endian(2);
          auto key_id = issuer ? r.byte() : std::nullopt;
          if (!key_id) return std::nullopt;
          d.issuer_id = static_cast<std::uint16_t>(*issuer);
          d.key_id = *key_id;
          key = std::string();
        }
      }
      if (!key) return std::nullopt;
      d.key = std::move(*key);
      return d;
    }
    default:
      return std::nullopt;
  }
}

Status encode_record(ByteWriter& w, const CacheChange& change) {
  if (auto* b = std::get_if<core::Binding>(&change)) {
    if (b->media == core::Media::none) return bad("binding with media none");
    if (!valid_identity(b->identity)) return bad("malformed identity");
    w.byte(kBinding);
    GATE_TRY(put_credential(w, b->credential));
    w.str(b->identity);
    w.byte(static_cast<std::uint8_t>(b->media));
    w.byte(static_cast<std::uint8_t>(b->status));
    put_instant(w, b->since);
  } else if (auto* h = std::get_if<core::HealthStatus>(&change)) {
    if (!valid_identity(h->identity)) return bad("malformed identity");
    w.byte(kHealth);
    w.str(h->identity);
    w.byte(static_cast<std::uint8_t>(h->colour));
    w.byte(h->popup ? 1 : 0);
    w.byte(h->last_negative_test ? 1 : 0);
    if (h->last_negative_test) put_instant(w, *h->last_negative_test);
    put_instant(w, h->as_of);
  } else if (auto* p = std::get_if<core::PolicyRecord>(&change)) {
    const core::Policy& q = p->policy;
    if (p->id.empty()) return bad("empty policy id");
    w.byte(kPolicy);
    GATE_TRY(put_text(w, p->id, kMaxName, "policy id"));
    put_instant(w, p->effective_from);
    GATE_TRY(put_names(w, p->scope_lines));
    GATE_TRY(put_names(w, p->scope_stations));
    if (q.test_max_age_hours < 0 || q.max_cache_age_minutes < 0 || q.anti_passback_minutes < 0) {
      return bad("negative policy count");
    }
    w.byte(static_cast<std::uint8_t>(q.health_mode));
    w.byte(static_cast<std::uint8_t>(q.not_upgraded));
    w.byte(static_cast<std::uint8_t>(q.health_unknown));
    w.byte(q.block_yellow ? 1 : 0);
    w.byte(static_cast<std::uint8_t>(q.popup));
    w.varint(static_cast<std::uint64_t>(q.test_max_age_hours));
    w.varint(static_cast<std::uint64_t>(q.max_cache_age_minutes));
    w.byte(static_cast<std::uint8_t>(q.stale));
    w.varint(static_cast<std::uint64_t>(q.anti_passback_minutes));
    w.byte(q.accept_m1 ? 1 : 0);
  } else if (auto* k = std::get_if<core::IssuerKey>(&change)) {
    w.byte(kIssuerKey);
    w.big_endian(k->issuer_id, 2);
    w.byte(k->key_id);
    GATE_TRY(put_sec1(w, k->public_key_hex));
    put_instant(w, k->valid_from);
    put_instant(w, k->valid_until);
    w.byte(k->revoked ? 1 : 0);
  } else if (auto* d = std::get_if<core::DenyEntry>(&change)) {
    w.byte(kDeny);
    GATE_TRY(put_credential(w, d->credential));
    GATE_TRY(put_text(w, d->note, kMaxText, "deny note"));
  } else {
    const auto& del = std::get<Deletion>(change);
    w.byte(kDelete);
    w.byte(static_cast<std::uint8_t>(static_cast<int>(del.kind) + 1));
    switch (del.kind) {
      case RecordKind::binding:
      case RecordKind::deny:
        return put_credential(w, del.key);
      case RecordKind::health:
        if (!valid_identity(del.key)) return bad("malformed identity");
        w.str(del.key);
        break;
      case RecordKind::policy:
        if (del.key.empty()) return bad("empty policy id");
        return put_text(w, del.key, kMaxName, "policy id");
      case RecordKind::issuer_key:
        w.big_endian(del.issuer_id, 2);
        w.byte(del.key_id);
        break;
    }
  }
  return ok_status();
}

Result<std::vector<std::uint8_t>> encode_records(const std::vector<CacheChange>& changes) {
  ByteWriter w;
  w.varint(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    Status s = encode_record(w, changes[i]);
    if (!s.ok()) return bad("record " + std::to_string(i) + ": " + s.error().message);
  }
  return std::move(w.out());
}

Result<std::vector<CacheChange>> decode_records(std::span<const std::uint8_t> payload) {
  ByteReader r(payload);
  auto count = r.varint();
  // Every record takes at least 3 bytes, so a count beyond that is a lie, not a reason to reserve.
  if (!count || *count > r.remaining() / 3) {
    return make_error(Errc::malformed, "records: bad record count");
  }
  std::vector<CacheChange> changes;
  changes.reserve(static_cast<std::size_t>(*count));
  for (std::uint64_t i = 0; i < *count; ++i) {
    std::size_t at = r.position();
    auto change = decode_record(r);
    if (!change) {
      return make_error(Errc::malformed, "record " + std::to_string(i) + " (byte " +
                                             std::to_string(at) + "): malformed");
    }
    changes.push_back(std::move(*change));
  }
  if (r.remaining() != 0) return make_error(Errc::malformed, "records: trailing bytes");
  return changes;
}

}  // namespace gate::feed

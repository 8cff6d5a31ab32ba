// CacheWriter and CacheReader together: what is written reads back, atomically, through WAL.
#include "firmware/store/cache.h"

#include "tests/firmware/store/cache_test_support.h"

using namespace cache_test;

TEST_CASE("lookup: binding, deny membership and health in one call", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  apply(w, {
               binding(kTu, "id-7f3a", BindingStatus::active, Media::card, 1652749920),
               health("id-7f3a", HealthColour::yellow, true, 1653213600, 1653249600),
               binding(kBj, "id-nohealth", BindingStatus::lost, Media::phone_card, 100),
               DenyEntry{kM1, "stolen batch"},
               binding(kQr, "id-both", BindingStatus::blocked, Media::qr, 200),
               DenyEntry{kQr, ""},
               health("id-both", HealthColour::red, false, std::nullopt, 300),
           });
  auto r = open_reader(path);

  SECTION("binding with health") {
    CacheFacts f = lookup(r, kTu);
    REQUIRE(f.binding);
    CHECK(f.binding->credential == kTu);
    CHECK(f.binding->identity == "id-7f3a");
    CHECK(f.binding->media == Media::card);
    CHECK(f.binding->status == BindingStatus::active);
    CHECK(f.binding->since == at_s(1652749920));
    CHECK_FALSE(f.denied);
    REQUIRE(f.health);
    CHECK(f.health->identity == "id-7f3a");
    CHECK(f.health->colour == HealthColour::yellow);
    CHECK(f.health->popup);
    CHECK(f.health->last_negative_test == at_s(1653213600));
    CHECK(f.health->as_of == at_s(1653249600));
  }
  SECTION("binding without health") {
    CacheFacts f = lookup(r, kBj);
    REQUIRE(f.binding);
    CHECK(f.binding->status == BindingStatus::lost);
    CHECK(f.binding->media == Media::phone_card);
    CHECK_FALSE(f.denied);
    CHECK_FALSE(f.health);
  }
  SECTION("only on the deny list") {
    CacheFacts f = lookup(r, kM1);
    CHECK_FALSE(f.binding);
    CHECK(f.denied);
    CHECK_FALSE(f.health);
  }
  SECTION("bound, denied, red, no test") {
    CacheFacts f = lookup(r, kQr);
    REQUIRE(f.binding);
    CHECK(f.binding->status == BindingStatus::blocked);
    CHECK(f.denied);
    REQUIRE(f.health);
    CHECK(f.health->colour == HealthColour::red);
    CHECK_FALSE(f.health->last_negative_test);
  }
  SECTION("unknown credential; facts of an earlier lookup are cleared, others left alone") {
    CacheFacts f;
    f.last_good_sync = at_s(42);
    f.last_entry_here = at_s(43);
    REQUIRE(r.lookup(kTu, f).ok());
    REQUIRE(f.health);
    REQUIRE(r.lookup("tu:0000000000000000000", f).ok());
    CHECK_FALSE(f.binding);
    CHECK_FALSE(f.denied);
    CHECK_FALSE(f.health);
    CHECK(f.last_good_sync == at_s(42));
    CHECK(f.last_entry_here == at_s(43));
  }
}

TEST_CASE("policies round-trip with their scope", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  PolicyRecord everywhere{"a-default", at_s(1000), {}, {}, {}};
  PolicyRecord line{"b-line", at_s(2000), {"L2", "L1"}, {}, {}};
  line.policy.health_mode = gate::core::HealthMode::enforce;
  line.policy.not_upgraded = gate::core::NotUpgradedPolicy::allow_with_prompt;
  line.policy.health_unknown = gate::core::ThreeWayPolicy::deny;
  line.policy.block_yellow = false;
  line.policy.popup = gate::core::PopupPolicy::deny;
  line.policy.test_max_age_hours = 48;
  line.policy.max_cache_age_minutes = 1440;
  line.policy.stale = gate::core::ThreeWayPolicy::allow;
  line.policy.anti_passback_minutes = 20;
  line.policy.accept_m1 = false;
  PolicyRecord station{"c-station", at_s(3000), {"L1"}, {"S07", "S01", "S07"}, {}};
  station.policy.health_mode = gate::core::HealthMode::observe;
  apply(w, {station, everywhere, line});

  auto r = open_reader(path);
  auto got = r.policies();
  REQUIRE(got.ok());
  const std::vector<PolicyRecord>& p = **got;
  REQUIRE(p.size() == 3);
  CHECK(p[0].id == "a-default");
  CHECK(p[0].effective_from == at_s(1000));
  CHECK(p[0].scope_lines.empty());
  CHECK(p[0].scope_stations.empty());
  CHECK(p[0].policy == gate::core::Policy{});
  CHECK(p[1].id == "b-line");
  CHECK(p[1].effective_from == at_s(2000));
  CHECK(p[1].scope_lines == std::vector<std::string>{"L2", "L1"});
  CHECK(p[1].scope_stations.empty());
  CHECK(p[1].policy == line.policy);
  CHECK(p[2].scope_lines == std::vector<std::string>{"L1"});
  CHECK(p[2].scope_stations == std::vector<std::string>{"S07", "S01", "S07"});
  CHECK(p[2].policy == station.policy);

  // Upsert replaces the scope; delete removes the policy and its scope.
  PolicyRecord narrowed{"b-line", at_s(2500), {}, {"S09"}, {}};
  apply(w, {narrowed, Deletion{RecordKind::policy, "c-station", 0, 0}});
  got = r.policies();
  REQUIRE(got.ok());
  REQUIRE((*got)->size() == 2);
  CHECK((**got)[1].effective_from == at_s(2500));
  CHECK((**got)[1].scope_lines.empty());
  CHECK((**got)[1].scope_stations == std::vector<std::string>{"S09"});
  CHECK((**got)[1].policy == gate::core::Policy{});
  apply(w, {PolicyRecord{"c-station", at_s(1), {}, {}, {}}});
  got = r.policies();
  REQUIRE(got.ok());
  CHECK((**got)[2].scope_stations.empty());  // the deleted one's scope did not come back
}

TEST_CASE("a write through CacheWriter is visible to an open reader (WAL)", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  auto r = open_reader(path);
  auto first = r.policies();
  REQUIRE(first.ok());
  CHECK((*first)->empty());
  CHECK_FALSE(lookup(r, kTu).binding);

  apply(w, {PolicyRecord{"p", at_s(5), {"L1"}, {}, {}},
            binding(kTu, "id-1", BindingStatus::active, Media::card, 1)});
  auto second = r.policies();  // no lookup in between: policies() alone notices the change
  REQUIRE(second.ok());
  REQUIRE((*second)->size() == 1);
  CHECK((**second)[0].scope_lines == std::vector<std::string>{"L1"});
  CHECK(lookup(r, kTu).binding);

  apply(w, {PolicyRecord{"q", at_s(6), {}, {}, {}}});
  CHECK(lookup(r, kTu).binding);  // a lookup in between must not hide the change either
  auto third = r.policies();
  REQUIRE(third.ok());
  CHECK((*third)->size() == 2);
}

TEST_CASE("upserts: last one wins, within one apply and across applies", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  apply(w,
        {binding(kTu, "id-a", BindingStatus::active, Media::card, 1),
         binding(kTu, "id-b", BindingStatus::lost, Media::phone_card, 2), DenyEntry{kM1, "first"},
         DenyEntry{kM1, "second"}, health("id-b", HealthColour::green, false, std::nullopt, 3)});
  apply(w, {health("id-b", HealthColour::red, true, 4, 5)});
  auto r = open_reader(path);
  CacheFacts f = lookup(r, kTu);
  REQUIRE(f.binding);
  CHECK(f.binding->identity == "id-b");
  CHECK(f.binding->status == BindingStatus::lost);
  CHECK(f.binding->since == at_s(2));
  REQUIRE(f.health);
  CHECK(f.health->colour == HealthColour::red);
  CHECK(f.health->last_negative_test == at_s(4));
  auto count = gate::store::prepare(r.db(), "SELECT count(*), max(note) FROM deny");
  REQUIRE(count.ok());
  REQUIRE(sqlite3_step(count->get()) == SQLITE_ROW);
  CHECK(sqlite3_column_int(count->get(), 0) == 1);
  CHECK(gate::store::column_text(count->get(), 1) == "second");
}

TEST_CASE("deletes of each kind, deleting what is not there is a no-op", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  IssuerKey key{7, 1, key_hex('a'), at_s(10), at_s(20), false};
  apply(w, {binding(kTu, "id-1", BindingStatus::active, Media::card, 1),
            health("id-1", HealthColour::green, false, std::nullopt, 2), DenyEntry{kBj, "x"}, key,
            IssuerKey{7, 2, key_hex('b'), at_s(10), at_s(20), true},
            PolicyRecord{"p", at_s(1), {"L1"}, {}, {}}});
  auto r = open_reader(path);
  REQUIRE(lookup(r, kTu).health);

  apply(w, {Deletion{RecordKind::health, "id-1", 0, 0}});
  CHECK(lookup(r, kTu).binding);
  CHECK_FALSE(lookup(r, kTu).health);
  apply(w, {Deletion{RecordKind::binding, kTu, 0, 0}});
  CHECK_FALSE(lookup(r, kTu).binding);
  apply(w, {Deletion{RecordKind::deny, kBj, 0, 0}});
  CHECK_FALSE(lookup(r, kBj).denied);
  apply(w, {Deletion{RecordKind::issuer_key, "", 7, 2}});
  CHECK_FALSE(r.issuer_key(7, 2)->has_value());
  CHECK(r.issuer_key(7, 1)->has_value());
  apply(w, {Deletion{RecordKind::policy, "p", 0, 0}});
  CHECK((*r.policies())->empty());
  apply(w, {Deletion{RecordKind::binding, kQr, 0, 0}, Deletion{RecordKind::issuer_key, "", 9, 9},
            Deletion{RecordKind::policy, "none", 0, 0}});
}

TEST_CASE("issuer_key and sync_state read back", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  auto r = open_reader(path);
  auto fresh = r.sync_state();
  REQUIRE(fresh.ok());
  CHECK_FALSE(fresh->last_good_sync);
  CHECK(fresh->sequence == 0);

  IssuerKey key{65535, 255, key_hex('c'), at_s(100), at_s(200), true};
  REQUIRE(w.apply_and_mark({key}, at_s(1653282001) + microseconds(234000), 41).ok());
  auto got = r.issuer_key(65535, 255);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->issuer_id == 65535);
  CHECK((*got)->key_id == 255);
  CHECK((*got)->public_key_hex == key_hex('c'));
  CHECK((*got)->valid_from == at_s(100));
  CHECK((*got)->valid_until == at_s(200));
  CHECK((*got)->revoked);
  CHECK_FALSE(r.issuer_key(65535, 254)->has_value());
  auto state = r.sync_state();
  REQUIRE(state.ok());
  CHECK(state->last_good_sync == at_s(1653282001) + microseconds(234000));
  CHECK(state->sequence == 41);

  REQUIRE(w.mark_synced(at_s(5), 18446744073709551615u).ok());
  CHECK(r.sync_state()->sequence == 18446744073709551615u);
  CHECK(r.sync_state()->last_good_sync == at_s(5));
}

TEST_CASE("apply is all or nothing", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  auto w = open_writer(path);
  apply(w, {binding(kTu, "id-1", BindingStatus::active, Media::card, 1)});
  // Media::none has no binding code: the last change fails, so none of them may stay.
  auto st = w.apply_and_mark(
      {binding(kTu, "id-2", BindingStatus::lost, Media::card, 2), DenyEntry{kBj, "x"},
       binding(kM1, "id-3", BindingStatus::active, Media::none, 3)},
      at_s(9), 9);
  REQUIRE_FALSE(st.ok());
  auto r = open_reader(path);
  CHECK(lookup(r, kTu).binding->identity == "id-1");
  CHECK_FALSE(lookup(r, kBj).denied);
  CHECK_FALSE(r.sync_state()->last_good_sync);
  // and the writer is still usable afterwards
  apply(w, {DenyEntry{kBj, "y"}});
  CHECK(lookup(r, kBj).denied);
}

// decision-bench: builds a cache of N credentials with `populate` (default 1,000,000), then
// measures in one run (a) the full decision for a credential — cache lookup, policy in force,
// anti-passback, the decision table — and (b) bare SQLite prepared-statement lookups of the same
// keys: the binding alone, and the three lookups a decision needs (binding, deny list, the
// identity's health). Prints median and p99 of each. A program that prints numbers, never a
// pass/fail test.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "firmware/gate/validator.h"
#include "firmware/store/record_loader.h"
#include "sim/bench/bench_flags.h"
#include "sim/bench/population_cache.h"
#include "sim/gate_sim/summary.h"
#include "sim/populate/populate.h"

namespace {

using namespace gate;
using Clock = std::chrono::steady_clock;

int fail(const std::string& message) {
  std::cerr << "decision-bench: " << message << "\n";
  return 1;
}

std::int64_t elapsed_ns(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count();
}

void report(const char* what, const std::vector<std::int64_t>& ns) {
  std::printf("%-44s median %7.2f us   p99 %7.2f us\n", what, sim::percentile(ns, 50) / 1000.0,
              sim::percentile(ns, 99) / 1000.0);
}

// One prepared statement, stepped to its first row and reset: what a bare lookup costs.
struct BareLookup {
  store::StmtHandle stmt;
  bool run(std::string_view key, std::string* first_column = nullptr) {
    sqlite3_stmt* s = stmt.get();
    store::bind_text(s, 1, key);
    bool row = sqlite3_step(s) == SQLITE_ROW;
    if (row && first_column) first_column->assign(store::column_text(s, 0));
    sqlite3_reset(s);
    return row;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t credentials = 1'000'000;
  std::size_t samples = 200'000;
  std::string dir = (std::filesystem::temp_directory_path() / "decision-bench").string();
  if (!sim::parse_bench_flags(argc, argv,
                              {sim::count_flag("credentials", credentials),
                               sim::count_flag("samples", samples), sim::text_flag("dir", dir)})) {
    return fail("usage: decision-bench [--credentials N] [--samples N] [--dir DIR]");
  }

  auto population = sim::population_cache(dir, credentials);
  if (!population.ok()) return fail(population.error().message);
  const sim::PopulateOptions& options = population->options;
  const std::size_t total = population->credentials;
  const std::string& cache_path = population->path;

  auto cache = store::CacheReader::open(cache_path);
  if (!cache.ok()) return fail(cache.error().message);
  store::PassbackMemory passback;
  core::GateContext gate = *core::parse_gate_spec("L1:S07:G03:entry");
  control::Validator validator(gate, &*cache, passback);

  std::vector<std::string> keys = sim::sample_keys(*population, samples);

  auto binding_stmt = store::prepare(
      cache->db(), "SELECT identity, media, status, since_us FROM binding WHERE credential = ?1");
  auto deny_stmt = store::prepare(cache->db(), "SELECT 1 FROM deny WHERE credential = ?1");
  auto health_stmt = store::prepare(
      cache->db(),
      "SELECT colour, popup, last_negative_test_us, as_of_us FROM health WHERE identity = ?1");
  if (!binding_stmt.ok() || !deny_stmt.ok() || !health_stmt.ok()) return fail("prepare failed");
  BareLookup binding{std::move(binding_stmt).value()};
  BareLookup deny{std::move(deny_stmt).value()};
  BareLookup health{std::move(health_stmt).value()};

  Instant now = options.as_of + std::chrono::minutes(5);
  std::vector<std::int64_t> decide_ns, binding_ns, three_ns;
  decide_ns.reserve(samples);
  binding_ns.reserve(samples);
  three_ns.reserve(samples);
  std::size_t opened = 0;
  std::string identity;
  // Warm-up pass over a slice of the keys (page cache, statement caches), then the measured pass,
  // interleaving the three measurements key by key so they see the same cache state.
  for (std::size_t i = 0; i < std::min<std::size_t>(samples, 20'000); ++i) {
    core::Presentation p;
    p.credential = keys[i];
    (void)validator.decide(std::move(p), now);
  }
  for (const std::string& key : keys) {
    core::Presentation p;
    p.credential = key;
    auto t0 = Clock::now();
    core::Decision d = validator.decide(std::move(p), now);
    decide_ns.push_back(elapsed_ns(t0));
    opened += d.outcome == core::Outcome::open;

    t0 = Clock::now();
    (void)binding.run(key);
    binding_ns.push_back(elapsed_ns(t0));

    t0 = Clock::now();
    if (binding.run(key, &identity)) (void)health.run(identity);
    (void)deny.run(key);
    three_ns.push_back(elapsed_ns(t0));
  }
  std::printf("%zu decisions (%zu open), %zu credentials in the cache\n", keys.size(), opened,
              total);
  report("decision (Validator::decide)", decide_ns);
  report("bare lookup: binding only", binding_ns);
  report("bare lookups: binding + health + deny", three_ns);
  std::printf("decision / bare lookups it needs (median): %.2fx\n",
              static_cast<double>(sim::percentile(decide_ns, 50)) /
                  static_cast<double>(sim::percentile(three_ns, 50)));
  return 0;
}

// A cache of at least N credentials made by `populate` and kept in a directory between runs (a
// million credentials take a minute to build), for the benchmarks that decide against a
// realistic cache: decision-bench and journal-bench.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "firmware/store/record_loader.h"
#include "hal/result.h"
#include "sim/populate/populate.h"

namespace gate::sim {

struct PopulationCache {
  PopulateOptions options;  // the population it holds (credential_key_at finds its keys)
  std::size_t credentials = 0;
  std::string path;
};

// The smallest population with at least `credentials` credentials, built into
// DIR/cache-<count>.db unless that file exists; prints what it did on stdout.
inline Result<PopulationCache> population_cache(const std::string& dir, std::size_t credentials) {
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  PopulationCache made;
  PopulateOptions& options = made.options;
  options.identities = credentials * 1000 / kCredentialsPerBlock;
  while (population_credential_count(options) < credentials) ++options.identities;
  made.credentials = population_credential_count(options);
  std::filesystem::create_directories(dir);
  const std::string records = dir + "/records.jsonl";
  made.path = dir + "/cache-" + std::to_string(made.credentials) + ".db";

  if (!std::filesystem::exists(made.path)) {
    auto t0 = Clock::now();
    std::ofstream out(records, std::ios::binary | std::ios::trunc);
    auto written = write_population(out, options);
    out.close();
    if (!written.ok() || !out) return make_error(Errc::io_error, "populate failed");
    double populate_s = seconds_since(t0);
    t0 = Clock::now();
    // Built aside and renamed: an interrupted build is never reused.
    std::string building = made.path + ".building";
    std::filesystem::remove(building);
    GATE_TRY_ASSIGN(std::size_t loaded, store::load_records_file(records, building, options.as_of));
    std::filesystem::rename(building, made.path);
    std::filesystem::remove(records);
    std::printf(
        "populate: %zu identities, %zu credentials, %zu lines in %.1f s; "
        "cache-build in %.1f s (%.0f records/s)\n",
        written->identities_written, written->credentials_written, written->lines_written,
        populate_s, seconds_since(t0), loaded / seconds_since(t0));
  } else {
    std::printf("reusing %s\n", made.path.c_str());
  }
  std::printf("cache: %s, %zu credentials, %.1f MiB\n", made.path.c_str(), made.credentials,
              std::filesystem::file_size(made.path) / 1048576.0);
  return made;
}

// `n` keys to decide: 95 % that exist (uniform over the population), 5 % that do not (never
// upgraded), the same for the same seed.
inline std::vector<std::string> sample_keys(const PopulationCache& cache, std::size_t n,
                                            std::uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 100 < 5) {
      keys.push_back(absent_credential_key(rng() % 100'000'000'000ULL));
    } else {
      keys.push_back(*credential_key_at(cache.options, rng() % cache.credentials));
    }
  }
  return keys;
}

}  // namespace gate::sim

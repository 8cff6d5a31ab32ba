// Builds or updates a cache from JSON Lines records (spec/records.md), as the simulator and tests
// do. Validates every line first; a file with any bad line changes nothing.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "firmware/store/cache.h"
#include "hal/result.h"

namespace gate::store {

// Parses one line (1-based `line_no` for messages) into a change. Errors are Errc::malformed with a
// message "line N: field F: what is wrong" (or "line N: …" when no single field is at fault).
// Rules: unknown `type` or field, missing key field, value outside its set, malformed time (ISO
// 8601 with an offset) or key, identity not 1-64 printable ASCII.
Result<CacheChange> parse_record_line(std::string_view line, std::size_t line_no);

// Parses a whole stream (blank lines skipped). Stops at the first bad line.
Result<std::vector<CacheChange>> parse_records(std::istream& in);

// Parses `path` and applies everything in one transaction to the cache at `cache_path` (created if
// missing), then marks the cache as synced at `synced_at`. Returns the number of records applied.
Result<std::size_t> load_records_file(const std::string& path, const std::string& cache_path,
                                      Instant synced_at);

}  // namespace gate::store

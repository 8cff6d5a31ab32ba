// Choosing the policy in force for one gate at one instant (decisions.md "Policy", records.md).
#pragma once

#include <span>

#include "firmware/core/gate_context.h"
#include "firmware/core/records.h"
#include "hal/time.h"

namespace gate::core {

// The record in force at `now` for `gate`'s line and station, or nullptr when none covers it
// (the caller then uses a default-constructed Policy). A record covers the gate when its scope
// names the gate's station, or names its line, or names neither lines nor stations (everywhere).
// Among the covering records with effective_from <= now, the latest effective_from wins; among
// equal instants, a station scope beats a line scope beats everywhere; remaining ties go to the
// greatest id, so the choice never depends on storage order.
const PolicyRecord* resolve_policy(std::span<const PolicyRecord> records, const GateContext& gate,
                                   Instant now);

}  // namespace gate::core

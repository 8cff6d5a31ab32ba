// The injected faults of the gate's devices and files (the scenario's `fault <name> on|off`) for
// reader-gone, scanner-gone, cache-unreadable, cache-corrupt, feed-slow and feed-garbage. Each
// acts the way the real failure does, on the real thing where the simulator has it (the PN532 and
// scanner ptys, the cache file, the loopback feed server), and then lets the loop run once; the
// firmware finds out by itself, as on a board:
//   reader-gone       direct: the simulated reader fails (device_lost); pn532: the emulator's pty
//                     closes and its link goes, and on `off` a new pty comes back behind the same
//                     link, which the libnfc driver reopens by itself (its backoff, sim clock)
//   scanner-gone      the same for the code scanner (direct, or serial through its pty)
//   cache-unreadable  the cache file is moved to <cache>.unreadable and a directory takes its
//                     place (a fault that holds even for root, whom permissions do not stop);
//                     `off` puts the file back
//   cache-corrupt     every page of the cache file but the first (the header and schema) and the
//                     frames of its WAL are overwritten with random bytes: a real damaged SQLite
//                     file; `off` has nothing to undo
//   feed-slow         the feed server holds its answers back (FeedFault::slow)
//   feed-garbage      the feed server answers with random bytes (FeedFault::garbage)
// The cache faults change the file the gate was given: run them on a copy (`gate-sim run
// --operations` makes a scratch cache). The feed faults need a feed server attached to the gate
// (SimGate::attach_feed_server); without one they are Errc::unsupported.
#pragma once

#include <string_view>

#include "hal/result.h"

namespace gate::sim {

class SimGate;

// Whether `name` is one of the faults above.
bool is_io_fault(std::string_view name);

// Injects (`on`) or clears the fault `name` on `gate`, then runs one loop iteration.
// Errc::invalid_argument for another name.
Status inject_io_fault(SimGate& gate, std::string_view name, bool on);

}  // namespace gate::sim

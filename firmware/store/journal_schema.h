// The journal's schema (firmware/store/journal.h): its migrations, applied in order at open.
#pragma once

#include <sqlite3.h>

#include "hal/result.h"

namespace gate::store {

// Brings the journal in `db` up to kJournalSchemaVersion, one transaction per step (BEGIN
// IMMEDIATE: a second process opening the file waits for the first's step). Errc::unsupported for
// a file newer than this build.
Status migrate_journal(sqlite3* db);

}  // namespace gate::store

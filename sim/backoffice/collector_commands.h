// gate-backoffice's journal collector subcommands (the rest of its commands are in main.cpp and
// feed_commands.cpp):
//   collect --db C.db --secrets FILE --tls-dir DIR [--port P]
//           serves POST /batches over HTTPS on 127.0.0.1 until SIGTERM or SIGINT; prints
//           `listening on https://127.0.0.1:PORT/` on stdout once ready. DIR keeps the TLS
//           identity (DIR/ca.pem: the gates' collector CA; server name "localhost").
//   trace   --db C.db (--credential KEY | --identity ID --registry REG.db | --station L1-S07)
//           [--from ISO] [--to ISO]
//           the passages found, as the stored JSON bodies, one a line, in time order
//   gates   --db C.db
//           per gate: `<gate> last_seq=N rows=N[ problem=P seq=M]`
#pragma once

#include <string>

namespace gate::backoffice {

// Whether `command` is one of the collector's.
bool is_collector_command(const std::string& command);

// Runs `command` with argv[2..]; returns the exit code (0 success, 1 the work failed, 2 usage).
int run_collector_command(const std::string& command, int argc, char** argv);

}  // namespace gate::backoffice

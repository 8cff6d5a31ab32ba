// gate-backoffice's feed subcommands (the rest of its commands are in main.cpp):
//   publish  --registry REG.db --feed-dir DIR --key FEED_KEY.pem [--snapshot] [--expires-in 1h]
//            [--now ISO] [--previous-key OLD.pem]
//   feed-key --out KEY.pem [--pub PUB.pem]
#pragma once

#include <string>

namespace gate::backoffice {

// Runs `command` ("publish" or "feed-key") with argv[2..]; returns the exit code (0 success,
// 1 the work failed, 2 usage).
int run_feed_command(const std::string& command, int argc, char** argv);

}  // namespace gate::backoffice

// gate-sim pn532: an emulated PN532 reader on a pseudo-terminal, with the given cards in its
// field, for a libnfc host (connstring pn532_uart:<link>) until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <vector>

#include "sim/cards/card_factory.h"
#include "sim/gate_sim/commands.h"
#include "sim/pn532/pn532_emulator.h"

namespace gate::sim {

int cmd_pn532(const Args& args) {
  auto link = args.get("link");
  if (!link || link->empty()) {
    std::cerr << "gate-sim: pn532 needs --link PATH\n";
    return 2;
  }
  std::vector<std::shared_ptr<EmulatedCard>> cards;
  if (args.has("card")) {
    for (const std::string& key : args.flags.at("card")) {
      auto card = make_card_for_key(key);
      if (!card) {
        std::cerr << "gate-sim: --card: not a card key (tu:<19 digits>, bj:<16 hex>, m1:<8 hex>)\n";
        return 2;
      }
      cards.push_back(std::move(card));
    }
  }
  // Blocked before the emulator's thread starts, so that only sigwait below takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &stop, nullptr) != 0) {
    std::cerr << "gate-sim: cannot block SIGINT and SIGTERM\n";
    return 1;
  }
  auto emulator = Pn532Emulator::start(*link);
  if (!emulator.ok()) {
    std::cerr << "gate-sim: " << emulator.error().message << "\n";
    return 1;
  }
  (*emulator)->place_many(cards);
  std::cerr << "pn532 emulator on " << (*emulator)->slave_path() << ", link " << *link
            << "; connstring " << (*emulator)->connstring() << std::endl;
  int signal = 0;
  sigwait(&stop, &signal);
  return 0;  // the emulator's destructor removes the link
}

}  // namespace gate::sim

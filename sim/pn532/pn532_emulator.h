// Pn532Emulator: an emulated PN532 reader on a pseudo-terminal, for hosts that drive a real one
// over its UART (libnfc's unmodified pn532_uart driver: connstring "pn532_uart:<link path>"). A
// thread serves the pty master: it frames the host's bytes (pn532_frame.h), answers every command
// frame with an ACK and then the chip's reply (pn532_commands.h), as the chip does. It never
// sleeps: it waits in poll() on the pty and on an eventfd that the control API kicks.
//
// The control API is thread-safe: a scenario thread places and removes cards while the emulator
// thread serves the host. The emulator only answers what is in the field; which presence was
// already reported is the host driver's business.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "hal/result.h"
#include "sim/cards/card_field.h"
#include "sim/cards/emulated_card.h"
#include "sim/pn532/pn532_commands.h"
#include "sim/pn532/pn532_frame.h"
#include "sim/pty/pty.h"

namespace gate::sim {

// What the emulator saw and did, for tests.
struct Pn532Counters {
  std::size_t frames_received = 0;     // information frames with good checksums from the host
  std::size_t acks_received = 0;       // ACK frames from the host
  std::size_t nacks_received = 0;      // NACK frames from the host (the last reply was resent)
  std::size_t corrupt_frames = 0;      // frames dropped for a bad checksum or length
  std::size_t wakeups = 0;             // HSU wake-ups (runs of 0x55)
  std::size_t frames_lost_asleep = 0;  // command frames that reached the chip while it slept
  std::size_t aborted_commands = 0;    // waiting commands the host aborted with an ACK
  std::size_t replies_sent = 0;        // reply frames sent (ACKs not counted)
  std::size_t syntax_errors = 0;       // syntax error frames sent
  std::size_t bytes_dropped = 0;       // reply bytes the pty had no room for
  std::size_t commands_hung = 0;       // commands acknowledged and never answered (set_hung)
  std::map<std::uint8_t, std::size_t> commands;  // commands run, by command code
};

class Pn532Emulator final : public CardField {
 public:
  // Opens a pty, points `link_path` at its slave (atomically replacing anything there) and starts
  // serving. Errc::io_error when the pty or the link cannot be made.
  static Result<std::unique_ptr<Pn532Emulator>> start(std::string link_path);
  // Stops serving, closes the pty and removes the link if it still points at this emulator.
  ~Pn532Emulator();
  Pn532Emulator(const Pn532Emulator&) = delete;
  Pn532Emulator& operator=(const Pn532Emulator&) = delete;

  // The stable path hosts open, the pty slave it points at now (empty while closed), and the
  // libnfc connection string for the link.
  const std::string& link_path() const { return link_path_; }
  std::string slave_path() const;
  std::string connstring() const { return "pn532_uart:" + link_path_; }

  // The card enters the field (card->enter_field() is called); a null card or one already there
  // is ignored. A command waiting for a card sees it at once.
  void place(std::shared_ptr<EmulatedCard> card);
  // Several cards enter the field together.
  void place_many(const std::vector<std::shared_ptr<EmulatedCard>>& cards) override;
  // The card leaves the field (no-op if absent); a target it was stops answering.
  void remove(const std::shared_ptr<EmulatedCard>& card);
  // Every card leaves the field.
  void remove_all() override;
  // Number of cards in the field now.
  std::size_t in_field() const;

  // The device vanishes (unplugged): serving stops, the pty closes, so a host that has the port
  // open sees a hang-up and I/O errors, and the link is removed. Cards stay in the field.
  void close();
  // The device comes back: a new pty behind the same link, a chip just powered on (asleep,
  // registers and settings at their defaults), the same cards. Errc::io_error as start().
  Status reopen();
  // Whether the pty is open and served (false after close()).
  bool is_open() const;

  // The chip hangs while true (wedged firmware): it still acknowledges each command frame, as its
  // UART front end does, but never answers one. The port stays open, so only the host's timeouts
  // (or an abort) end its wait.
  void set_hung(bool hung);

  Pn532Counters counters() const;
  // Waits until `done(counters)` holds, or at most `timeout`; whether it holds. For tests that
  // must know the emulator got somewhere (a frame handled) without sleeping.
  bool wait_for(const std::function<bool(const Pn532Counters&)>& done,
                std::chrono::milliseconds timeout) const;

 private:
  explicit Pn532Emulator(std::string link_path);
  void stop_thread();
  void kick();
  void serve();
  void handle_bytes(std::span<const std::uint8_t> bytes);
  void handle_frame(const pn532::FrameEvent& frame);
  void deliver(const pn532::CommandResult& result);
  void send(const hal::Bytes& bytes);

  const std::string link_path_;
  mutable std::mutex mu_;                    // guards everything below but the thread handle
  mutable std::condition_variable counted_;  // notified when the counters moved
  pty::Pty pty_;
  pty::UniqueFd wake_fd_;  // eventfd: stop, or the field changed
  pn532::CommandHandler chip_;
  pn532::FrameParser parser_;
  hal::Bytes last_reply_;  // resent on NACK
  Pn532Counters counters_;
  bool hung_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gate::sim

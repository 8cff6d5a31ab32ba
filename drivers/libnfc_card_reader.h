// LibnfcCardReader: the board's hal::CardReader on libnfc (PN532 over UART, I2C or SPI, ACR122U,
// ... named by a libnfc connection string).
//
// Bounded by design. libnfc has calls that can block without end (a zero timeout means "wait
// forever" in its UART layer), so this driver never passes 0: every command has an explicit
// timeout, and a poll or exchange takes at most the bounds below. A reader that stops answering
// or vanishes is closed, reported as Errc::device_lost, and reopened with backoff by later polls,
// so it recovers by itself. interrupt() (any thread) ends an in-flight poll for shutdown.
//
// Presence: each pass switches the RF field off and on (every card back to its idle state), lists
// ISO 14443 type A targets (at most two) and compares their UIDs with the previous pass. A card is
// reported once per presence while it is alone in the field; two or more are reported as
// Kind::multiple once per change of the set. A held card keeps its UID and is one tap. The card
// reported last is selected again (field cycle, select by UID, RATS) on its first APDU.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/unique_fd.h"
#include "hal/card_reader.h"
#include "hal/clock.h"

struct nfc_context;
struct nfc_device;

namespace gate::drivers {

struct LibnfcReaderConfig {
  std::string connstring;  // "pn532_uart:/dev/ttyS1", "acr122_usb", ...
  // libnfc's timeout for one PN53x command frame (NP_TIMEOUT_COMMAND). A PN532 answers a command
  // in a few ms; this only bounds a reader that stopped answering.
  std::chrono::milliseconds command_timeout{200};
  // Between two passes of one poll() (the tap-detection latency while the field is empty).
  std::chrono::milliseconds pass_interval{20};
  // Reopen attempts after a loss: first after backoff_min, doubling up to backoff_max.
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{4000};
};

// Worst case of one pass when the reader stops answering mid-pass: field off and on (2 commands),
// up to three InListPassiveTarget (libnfc's own 300 ms each) and two InDeselect. A silent reader
// fails the first command, so in practice one command_timeout; this is the bound for the code.
std::chrono::milliseconds libnfc_pass_bound(const LibnfcReaderConfig& config);

class LibnfcCardReader final : public hal::CardReader {
 public:
  // Initialises libnfc; the device is opened by the first poll() (a reader missing at start-up
  // is then reader-down and recovers by itself). Errc::io_error if libnfc cannot initialise.
  static Result<std::unique_ptr<LibnfcCardReader>> create(const hal::Clock& clock,
                                                          LibnfcReaderConfig config);
  ~LibnfcCardReader() override;
  LibnfcCardReader(const LibnfcCardReader&) = delete;
  LibnfcCardReader& operator=(const LibnfcCardReader&) = delete;

  // Thread-safe. Ends an in-flight poll within one libnfc command (libnfc's abort pipe) and makes
  // every later poll or backoff wait return at once. For shutdown.
  void interrupt();

  // Whether the device is open now (false while down and waiting to reopen).
  bool device_open() const { return open_.load(); }

  // Total time spent inside libnfc calls (libnfc, the UART and the chip), so a benchmark can tell
  // the reader's share of a tap from our own code's. Polling thread only.
  std::chrono::nanoseconds time_in_libnfc() const { return in_libnfc_; }

 private:
  LibnfcCardReader(const hal::Clock& clock, LibnfcReaderConfig config, nfc_context* context,
                   UniqueFd wake);

  Result<hal::CardPresence> do_poll(std::chrono::milliseconds timeout) override;
  Result<hal::Bytes> do_transceive(std::span<const std::uint8_t> command,
                                   std::chrono::milliseconds timeout) override;

  // One pass over the field: the targets' UIDs now, and the target of a lone card.
  Result<std::optional<hal::CardPresence>> pass();
  Status open_device();
  Status field_cycle();
  Error lose_device(const std::string& what);
  // Waits up to `d` unless interrupted (true: interrupted).
  bool wait(std::chrono::milliseconds d);

  const hal::Clock& clock_;
  const LibnfcReaderConfig config_;
  nfc_context* context_;
  nfc_device* device_ = nullptr;  // owned by the polling thread; guarded by mu_ for interrupt()
  std::mutex mu_;
  std::atomic<bool> open_{false};
  std::atomic<bool> interrupted_{false};
  UniqueFd wake_;  // eventfd: interrupt() makes waits return
  std::chrono::milliseconds backoff_;
  MonoInstant next_open_{};
  std::string last_loss_;
  std::vector<hal::Bytes> present_;                 // UIDs seen by the last pass, sorted
  std::vector<hal::Bytes> reported_;                // UIDs reported as Kind::one and still present
  std::optional<hal::CardTarget> selected_target_;  // the card APDUs go to
  bool selected_ = false;                           // it is selected now (no field cycle since)
  std::chrono::nanoseconds in_libnfc_{0};
};

}  // namespace gate::drivers

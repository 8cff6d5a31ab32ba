#include "sim/pn532/pn532_emulator.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include "hal/log.h"

namespace gate::sim {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = pn532::FrameEvent::Kind;

constexpr const char* kTag = "pn532";

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
}

}  // namespace

Pn532Emulator::Pn532Emulator(std::string link_path) : link_path_(std::move(link_path)) {}

Result<std::unique_ptr<Pn532Emulator>> Pn532Emulator::start(std::string link_path) {
  std::unique_ptr<Pn532Emulator> emulator(new Pn532Emulator(std::move(link_path)));
  GATE_TRY(emulator->reopen());
  return emulator;
}

Pn532Emulator::~Pn532Emulator() {
  close();
}

std::string Pn532Emulator::slave_path() const {
  std::lock_guard lock(mu_);
  return pty_.slave_path;
}

void Pn532Emulator::place(std::shared_ptr<EmulatedCard> card) {
  std::lock_guard lock(mu_);
  chip_.field().place(std::move(card));
  kick();
}

void Pn532Emulator::place_many(const std::vector<std::shared_ptr<EmulatedCard>>& cards) {
  std::lock_guard lock(mu_);
  for (const auto& card : cards) chip_.field().place(card);
  kick();
}

void Pn532Emulator::remove(const std::shared_ptr<EmulatedCard>& card) {
  std::lock_guard lock(mu_);
  chip_.field().remove(card);
}

void Pn532Emulator::remove_all() {
  std::lock_guard lock(mu_);
  chip_.field().remove_all();
}

std::size_t Pn532Emulator::in_field() const {
  std::lock_guard lock(mu_);
  return chip_.field().size();
}

bool Pn532Emulator::is_open() const {
  std::lock_guard lock(mu_);
  return static_cast<bool>(pty_.master);
}

Pn532Counters Pn532Emulator::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

bool Pn532Emulator::wait_for(const std::function<bool(const Pn532Counters&)>& done,
                             std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return counted_.wait_for(lock, timeout, [&] { return done(counters_); });
}

void Pn532Emulator::close() {
  stop_thread();
  std::lock_guard lock(mu_);
  pty::close_linked_pty(pty_, link_path_);
  wake_fd_.reset();
  chip_.cancel();
}

Status Pn532Emulator::reopen() {
  close();
  std::lock_guard lock(mu_);
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) {
    return make_error(Errc::io_error, std::string("pn532: eventfd: ") + std::strerror(errno));
  }
  Result<pty::Pty> opened = pty::open_linked_pty(link_path_);
  if (!opened.ok()) {
    wake_fd_.reset();
    return opened.error();
  }
  pty_ = std::move(*opened);
  chip_.power_on_reset();
  parser_.reset();
  last_reply_.clear();
  stop_ = false;
  thread_ = std::thread([this] { serve(); });
  return ok_status();
}

void Pn532Emulator::stop_thread() {
  if (!thread_.joinable()) return;
  stop_ = true;
  {
    std::lock_guard lock(mu_);
    kick();
  }
  thread_.join();
}

void Pn532Emulator::kick() {
  if (!wake_fd_) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

void Pn532Emulator::serve() {
  int master = -1;
  int wake = -1;
  {
    std::lock_guard lock(mu_);
    master = pty_.master.get();
    wake = wake_fd_.get();
  }
  std::array<std::uint8_t, 512> buf{};
  while (!stop_) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(mu_);
      if (auto deadline = chip_.deadline()) timeout_ms = ms_until(*deadline);
    }
    pollfd fds[2] = {{master, POLLIN, 0}, {wake, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      log(LogLevel::error, kTag, std::string("poll: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wake, &count, sizeof count);
    }
    if (stop_) return;
    std::lock_guard lock(mu_);
    if (fds[0].revents & POLLIN) {
      const ssize_t n = ::read(master, buf.data(), buf.size());
      if (n > 0) handle_bytes(std::span(buf.data(), static_cast<std::size_t>(n)));
    } else if (fds[0].revents & (POLLHUP | POLLERR)) {
      // Cannot happen while the emulator holds the slave open; stop rather than spin.
      log(LogLevel::error, kTag, "pty master hung up");
      return;
    }
    if (chip_.waiting()) deliver(chip_.resume(Clock::now()));
    counted_.notify_all();
  }
}

void Pn532Emulator::handle_bytes(std::span<const std::uint8_t> bytes) {
  for (const pn532::FrameEvent& frame : parser_.feed(bytes)) handle_frame(frame);
}

void Pn532Emulator::set_hung(bool hung) {
  std::lock_guard lock(mu_);
  hung_ = hung;
}

void Pn532Emulator::handle_frame(const pn532::FrameEvent& frame) {
  switch (frame.kind) {
    case Kind::wakeup:
      ++counters_.wakeups;
      chip_.wake();
      return;
    case Kind::ack:
      ++counters_.acks_received;
      if (chip_.waiting()) {
        chip_.cancel();
        ++counters_.aborted_commands;
      }
      return;
    case Kind::nack:
      ++counters_.nacks_received;
      if (!last_reply_.empty()) send(last_reply_);
      return;
    case Kind::corrupt:
      ++counters_.corrupt_frames;  // the chip ignores it; the host times out and sends again
      return;
    case Kind::error:
      return;
    case Kind::info:
      break;
  }
  if (chip_.asleep()) {
    // The frame's first edges wake the chip (when PowerDown allowed it); the frame is lost.
    ++counters_.frames_lost_asleep;
    chip_.wake();
    return;
  }
  if (frame.tfi != pn532::kTfiHostToChip || frame.data.empty()) return;
  ++counters_.frames_received;
  ++counters_.commands[frame.data[0]];
  send(pn532::ack_frame());
  if (hung_) {
    ++counters_.commands_hung;
    counted_.notify_all();
    return;
  }
  deliver(chip_.execute(frame.data, Clock::now()));
}

void Pn532Emulator::deliver(const pn532::CommandResult& result) {
  using ResultKind = pn532::CommandResult::Kind;
  if (result.kind == ResultKind::waiting) return;
  if (result.kind == ResultKind::syntax_error) {
    ++counters_.syntax_errors;
    last_reply_ = pn532::syntax_error_frame();
  } else {
    last_reply_ = pn532::encode_info_frame(pn532::kTfiChipToHost, result.output);
  }
  ++counters_.replies_sent;
  send(last_reply_);
}

void Pn532Emulator::send(const hal::Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(pty_.master.get(), bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // A host that stopped reading: the bytes are lost, as on a UART nobody listens to.
      counters_.bytes_dropped += bytes.size() - done;
      return;
    }
  }
}

}  // namespace gate::sim

#include "drivers/libnfc_card_reader.h"

#include <nfc/nfc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "hal/log.h"

namespace gate::drivers {
namespace {

constexpr const char* kTag = "libnfc";
constexpr nfc_modulation kTypeA106{NMT_ISO14443A, NBR_106};
// libnfc's own timeout for one InListPassiveTarget (pn53x_initiator_select_passive_target).
constexpr std::chrono::milliseconds kLibnfcSelectTimeout{300};
// Bytes of the largest reply we accept (a short APDU's 256 data bytes and SW1 SW2, with room).
constexpr std::size_t kMaxReply = 264;

// nfc_target is a packed struct: its fields are read by value, never bound to references.
hal::CardTarget to_target(const nfc_target& t) {
  const nfc_iso14443a_info& a = t.nti.nai;
  const std::size_t uid_len = a.szUidLen;
  hal::CardTarget target;
  target.uid.assign(a.abtUid, a.abtUid + std::min(uid_len, sizeof a.abtUid));
  target.atqa = static_cast<std::uint16_t>((a.abtAtqa[0] << 8) | a.abtAtqa[1]);
  target.sak = a.btSak;
  target.iso14443_4 = (a.btSak & 0x20) != 0;
  return target;
}

std::string nfc_error_text(nfc_device* device, int code) {
  std::string text = device ? nfc_strerror(device) : "no device";
  return text + " (" + std::to_string(code) + ")";
}

// Errors after which the reader itself (not the card) is in doubt: close and reopen it.
bool reader_failed(int code) {
  return code == NFC_EIO || code == NFC_ETIMEOUT || code == NFC_ENOTSUCHDEV ||
         code == NFC_EOPABORTED || code == NFC_ESOFT;
}

// Adds the time until its end to `total`: wraps each libnfc call.
class LibnfcTimer {
 public:
  explicit LibnfcTimer(std::chrono::nanoseconds& total)
      : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~LibnfcTimer() { total_ += std::chrono::steady_clock::now() - start_; }
  LibnfcTimer(const LibnfcTimer&) = delete;
  LibnfcTimer& operator=(const LibnfcTimer&) = delete;

 private:
  std::chrono::nanoseconds& total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::chrono::milliseconds libnfc_pass_bound(const LibnfcReaderConfig& config) {
  return 4 * config.command_timeout + 3 * kLibnfcSelectTimeout;
}

Result<std::unique_ptr<LibnfcCardReader>> LibnfcCardReader::create(const hal::Clock& clock,
                                                                   LibnfcReaderConfig config) {
  if (config.connstring.empty() || config.connstring.size() >= NFC_BUFSIZE_CONNSTRING) {
    return make_error(Errc::invalid_argument, "reader: empty or over-long libnfc connstring");
  }
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return make_error(Errc::io_error, "reader: eventfd failed");
  nfc_context* context = nullptr;
  nfc_init(&context);
  if (context == nullptr) return make_error(Errc::io_error, "reader: libnfc failed to initialise");
  return std::unique_ptr<LibnfcCardReader>(
      new LibnfcCardReader(clock, std::move(config), context, std::move(wake)));
}

LibnfcCardReader::LibnfcCardReader(const hal::Clock& clock, LibnfcReaderConfig config,
                                   nfc_context* context, UniqueFd wake)
    : clock_(clock),
      config_(std::move(config)),
      context_(context),
      wake_(std::move(wake)),
      backoff_(config_.backoff_min) {}

LibnfcCardReader::~LibnfcCardReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (device_ != nullptr) nfc_close(device_);
    device_ = nullptr;
  }
  nfc_exit(context_);
}

void LibnfcCardReader::interrupt() {
  interrupted_.store(true);
  std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  std::lock_guard<std::mutex> lock(mu_);
  if (device_ != nullptr) nfc_abort_command(device_);
}

bool LibnfcCardReader::wait(std::chrono::milliseconds d) {
  if (interrupted_.load()) return true;
  if (d <= std::chrono::milliseconds::zero()) return false;
  pollfd p{wake_.get(), POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(d.count()));
  return n > 0 || interrupted_.load();
}

Status LibnfcCardReader::open_device() {
  LibnfcTimer timer(in_libnfc_);
  nfc_device* device = nfc_open(context_, config_.connstring.c_str());
  if (device == nullptr) {
    return make_error(Errc::device_lost, "cannot open " + config_.connstring);
  }
  int r = nfc_initiator_init(device);
  // One try per InListPassiveTarget (libnfc then bounds it by its 300 ms), the PN532's automatic
  // RATS for ISO 14443-4 cards, and our bound on every other command.
  if (r >= 0) r = nfc_device_set_property_bool(device, NP_INFINITE_SELECT, false);
  if (r >= 0) r = nfc_device_set_property_bool(device, NP_AUTO_ISO14443_4, true);
  if (r >= 0) {
    r = nfc_device_set_property_int(device, NP_TIMEOUT_COMMAND,
                                    static_cast<int>(config_.command_timeout.count()));
  }
  if (r < 0) {
    std::string why = nfc_error_text(device, r);
    nfc_close(device);
    return make_error(Errc::device_lost, "cannot initialise " + config_.connstring + ": " + why);
  }
  std::lock_guard<std::mutex> lock(mu_);
  device_ = device;
  open_.store(true);
  return ok_status();
}

Error LibnfcCardReader::lose_device(const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (device_ != nullptr) nfc_close(device_);
    device_ = nullptr;
  }
  open_.store(false);
  present_.clear();
  reported_.clear();
  selected_target_.reset();
  selected_ = false;
  // Reopen at the next poll: a reader that merely hiccuped is back before the gate notices; the
  // backoff applies once reopening fails.
  backoff_ = config_.backoff_min;
  next_open_ = clock_.mono_now();
  last_loss_ = config_.connstring + ": " + what;
  log(LogLevel::error, kTag, "reader lost, closing it: " + last_loss_);
  return make_error(Errc::device_lost, last_loss_);
}

Status LibnfcCardReader::field_cycle() {
  selected_ = false;
  LibnfcTimer timer(in_libnfc_);
  int r = nfc_device_set_property_bool(device_, NP_ACTIVATE_FIELD, false);
  if (r >= 0) r = nfc_device_set_property_bool(device_, NP_ACTIVATE_FIELD, true);
  if (r < 0) return lose_device("RF field: " + nfc_error_text(device_, r));
  return ok_status();
}

Result<std::optional<hal::CardPresence>> LibnfcCardReader::pass() {
  GATE_TRY(field_cycle());
  nfc_target targets[2];
  int n = 0;
  {
    LibnfcTimer timer(in_libnfc_);
    n = nfc_initiator_list_passive_targets(device_, kTypeA106, targets, 2);
  }
  if (n < 0) {
    if (reader_failed(n)) return lose_device("polling: " + nfc_error_text(device_, n));
    return make_error(Errc::io_error, "polling: " + nfc_error_text(device_, n));
  }
  MonoInstant detected_at = clock_.mono_now();
  std::vector<hal::Bytes> uids;
  for (int i = 0; i < n; ++i) uids.push_back(to_target(targets[i]).uid);
  std::sort(uids.begin(), uids.end());
  bool changed = uids != present_;
  present_ = uids;
  std::erase_if(reported_, [&](const hal::Bytes& u) {
    return !std::binary_search(uids.begin(), uids.end(), u);
  });
  hal::CardPresence presence;
  presence.detected_at = detected_at;
  if (n >= 2) {
    if (!changed) return std::optional<hal::CardPresence>();
    presence.kind = hal::CardPresence::Kind::multiple;
    return std::optional<hal::CardPresence>(presence);
  }
  if (n == 0 || std::find(reported_.begin(), reported_.end(), uids[0]) != reported_.end()) {
    return std::optional<hal::CardPresence>();
  }
  reported_.push_back(uids[0]);
  presence.kind = hal::CardPresence::Kind::one;
  presence.target = to_target(targets[0]);
  selected_target_ = presence.target;
  return std::optional<hal::CardPresence>(presence);
}

Result<hal::CardPresence> LibnfcCardReader::do_poll(std::chrono::milliseconds timeout) {
  if (interrupted_.load()) return hal::CardPresence{};
  MonoInstant deadline = clock_.mono_now() + timeout;
  auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.mono_now());
  };
  if (device_ == nullptr) {
    if (clock_.mono_now() < next_open_) {
      wait(std::min(remaining(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                     next_open_ - clock_.mono_now())));
      return make_error(Errc::device_lost, "reader down: " + last_loss_);
    }
    Status opened = open_device();
    if (!opened.ok()) {
      next_open_ = clock_.mono_now() + backoff_;
      backoff_ = std::min(backoff_ * 2, config_.backoff_max);
      last_loss_ = opened.error().message;
      return opened.error();
    }
    log(LogLevel::info, kTag, "reader open: " + config_.connstring);
  }
  for (;;) {
    GATE_TRY_ASSIGN(std::optional<hal::CardPresence> found, pass());
    if (found) return *found;
    auto left = remaining();
    if (left <= std::chrono::milliseconds::zero() || wait(std::min(left, config_.pass_interval))) {
      return hal::CardPresence{};
    }
  }
}

Result<hal::Bytes> LibnfcCardReader::do_transceive(std::span<const std::uint8_t> command,
                                                   std::chrono::milliseconds timeout) {
  if (device_ == nullptr) return make_error(Errc::device_lost, "reader down: " + last_loss_);
  if (!selected_target_) return make_error(Errc::io_error, "no card selected");
  if (!selected_) {
    // The last pass left every card idle or halted: wake them and select ours again by UID.
    GATE_TRY(field_cycle());
    nfc_target found;
    const hal::Bytes& uid = selected_target_->uid;
    int r = 0;
    {
      LibnfcTimer timer(in_libnfc_);
      r = nfc_initiator_select_passive_target(device_, kTypeA106, uid.data(), uid.size(), &found);
    }
    if (r < 0 && reader_failed(r)) return lose_device("select: " + nfc_error_text(device_, r));
    if (r <= 0) return make_error(Errc::io_error, "the card left the field");
    selected_ = true;
  }
  hal::Bytes reply(kMaxReply);
  int ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 1, 60000));
  int r = 0;
  {
    LibnfcTimer timer(in_libnfc_);
    r = nfc_initiator_transceive_bytes(device_, command.data(), command.size(), reply.data(),
                                       reply.size(), ms);
  }
  if (r >= 0) {
    reply.resize(static_cast<std::size_t>(r));
    return reply;
  }
  selected_ = false;
  if (reader_failed(r)) return lose_device("exchange: " + nfc_error_text(device_, r));
  if (r == NFC_ERFTRANS) return make_error(Errc::timeout, "the card did not answer");
  return make_error(Errc::io_error, "exchange broke: " + nfc_error_text(device_, r));
}

}  // namespace gate::drivers

#include "sim/gate_sim/io_faults.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "drivers/unique_fd.h"
#include "sim/gate_sim/sim_gate.h"

namespace gate::sim {
namespace {

Error sys_error(const std::string& what) {
  return make_error(Errc::io_error, what + ": " + std::strerror(errno));
}

Status reader_gone(SimGate& gate, bool on) {
  if (Pn532Emulator* chip = gate.pn532()) {
    if (!on) return chip->reopen();
    chip->close();
    return ok_status();
  }
  gate.reader().set_down(on);
  return ok_status();
}

Status scanner_gone(SimGate& gate, bool on) {
  if (ScannerEmulator* scanner = gate.scanner_emulator()) {
    if (!on) return scanner->reopen();
    scanner->close();
    return ok_status();
  }
  gate.scanner().set_down(on);
  return ok_status();
}

std::string unreadable_aside(const std::string& cache) {
  return cache + ".unreadable";
}

// A directory where the file was: opening it as a database fails for everyone, root included.
Status cache_unreadable(SimGate& gate, bool on) {
  const std::string& path = gate.runtime().cache_path();
  const std::string aside = unreadable_aside(path);
  if (on) {
    if (::rename(path.c_str(), aside.c_str()) != 0) return sys_error("move " + path + " away");
    if (::mkdir(path.c_str(), 0700) != 0) return sys_error("mkdir " + path);
    return ok_status();
  }
  struct stat st {};
  if (::stat(aside.c_str(), &st) != 0) return ok_status();  // not on: nothing to undo
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return sys_error("rmdir " + path);
  if (::rename(aside.c_str(), path.c_str()) != 0) return sys_error("restore " + path);
  return ok_status();
}

// Random bytes over [from, end of file) of `path`, in `chunk`-sized writes. A missing file is fine
// (a cache without a WAL).
Status garble(const std::string& path, std::uint64_t from, std::size_t chunk, std::mt19937& rng) {
  drivers::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT ? ok_status() : sys_error("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("stat " + path);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<char> junk(chunk);
  for (std::uint64_t at = from; at < static_cast<std::uint64_t>(st.st_size); at += chunk) {
    for (char& c : junk) c = static_cast<char>(byte(rng));
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, st.st_size - at));
    if (::pwrite(fd.get(), junk.data(), n, static_cast<off_t>(at)) != static_cast<ssize_t>(n)) {
      return sys_error("write " + path);
    }
  }
  return ok_status();
}

// Every page but the first (the header and the schema stay, so the file still opens as a cache of
// the right version and the damage shows where a gate meets it: in its reads), and every WAL
// frame after the WAL's own header.
Status cache_corrupt(SimGate& gate, bool on) {
  if (!on) return ok_status();
  const std::string& path = gate.runtime().cache_path();
  std::uint32_t page_size = 4096;
  {
    drivers::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return sys_error("open " + path);
    unsigned char header[18] = {};
    if (::pread(fd.get(), header, sizeof header, 0) == static_cast<ssize_t>(sizeof header)) {
      const std::uint32_t declared = (std::uint32_t{header[16]} << 8) | header[17];
      page_size = declared == 1 ? 65536 : declared;
    }
    if (page_size < 512) return make_error(Errc::malformed, path + ": not a SQLite file");
  }
  std::mt19937 rng{std::random_device{}()};
  GATE_TRY(garble(path, page_size, page_size, rng));
  constexpr std::uint64_t kWalHeader = 32;
  return garble(path + "-wal", kWalHeader, page_size, rng);
}

Status feed_fault(SimGate& gate, FeedFault fault, bool on) {
  FeedServer* server = gate.feed_server();
  if (!server) {
    return make_error(Errc::unsupported, "the feed faults need a feed server (none in this run)");
  }
  server->set_fault(on ? fault : FeedFault::none);
  return ok_status();
}

Status inject(SimGate& gate, std::string_view name, bool on) {
  if (name == "reader-gone") return reader_gone(gate, on);
  if (name == "scanner-gone") return scanner_gone(gate, on);
  if (name == "cache-unreadable") return cache_unreadable(gate, on);
  if (name == "cache-corrupt") return cache_corrupt(gate, on);
  if (name == "feed-slow") return feed_fault(gate, FeedFault::slow, on);
  if (name == "feed-garbage") return feed_fault(gate, FeedFault::garbage, on);
  return make_error(Errc::invalid_argument, "not a device or file fault: " + std::string(name));
}

}  // namespace

bool is_io_fault(std::string_view name) {
  for (std::string_view n : {"reader-gone", "scanner-gone", "cache-unreadable", "cache-corrupt",
                             "feed-slow", "feed-garbage"}) {
    if (n == name) return true;
  }
  return false;
}

Status inject_io_fault(SimGate& gate, std::string_view name, bool on) {
  Status injected = inject(gate, name, on);
  if (!injected.ok()) {
    return make_error(injected.error().code,
                      "fault " + std::string(name) + ": " + injected.error().message);
  }
  return gate.step();
}

}  // namespace gate::sim

// Runs gate-sim as a real child process for end-to-end tests: with pipes to its stdin and stdout,
// so a test can wait for a line and then kill it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace gate::test {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; stderr goes to /dev/null unless `keep_stderr`.
  explicit ChildProcess(const std::vector<std::string>& argv, bool keep_stderr = false);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void write(const std::string& text);
  void close_stdin();
  // The next line of stdout (without '\n'); false at end of output, or when no line came within
  // `timeout` (a bound so that a broken child fails the test instead of hanging it).
  bool read_line(std::string& line, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends `signal` and reaps the child; returns its wait status.
  int kill_and_wait(int signal);
  // Waits for the child to end; returns its exit code (or -1 if it did not exit normally).
  int wait_exit();

 private:
  int pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
};

// The command line that starts gate-sim with `args` (through the emulator when cross-compiled).
std::vector<std::string> gate_sim(std::vector<std::string> args);

// The command line that starts gate-backoffice with `args` (through the emulator when
// cross-compiled).
std::vector<std::string> gate_backoffice(std::vector<std::string> args);

// Runs a command to the end: exit code and everything it printed on stdout. A command silent for
// longer than `line_timeout` is taken to have ended its output (then waited for).
struct RunResult {
  int exit_code = -1;
  std::string out;
};
RunResult run_to_end(const std::vector<std::string>& argv,
                     std::chrono::milliseconds line_timeout = std::chrono::seconds(60));

}  // namespace gate::test

#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace gate::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, bool keep_stderr) {
  int in[2], out[2];
  // Close-on-exec: a child started later must not inherit this one's pipe ends, or closing this
  // child's stdin would not reach it while the other lives (dup2 clears the flag in the child).
  if (pipe2(in, O_CLOEXEC) != 0) return;
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return;
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (!keep_stderr) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDERR_FILENO);
    }
    ::close(in[0]);
    ::close(in[1]);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  signal(SIGPIPE, SIG_IGN);
}

ChildProcess::~ChildProcess() {
  close_stdin();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (pid_ > 0) kill_and_wait(SIGKILL);
}

void ChildProcess::write(const std::string& text) {
  std::size_t done = 0;
  while (in_fd_ >= 0 && done < text.size()) {
    ssize_t n = ::write(in_fd_, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

void ChildProcess::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

bool ChildProcess::read_line(std::string& line, std::chrono::milliseconds timeout) {
  while (true) {
    std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    if (out_fd_ < 0) return false;
    pollfd pfd{out_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

int ChildProcess::kill_and_wait(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int ChildProcess::wait_exit() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

// `command`'s words (separated by '|') followed by `args`.
std::vector<std::string> command_line(std::string_view command, std::vector<std::string> args) {
  std::vector<std::string> argv;
  for (std::size_t start = 0; start <= command.size();) {
    std::size_t bar = command.find('|', start);
    if (bar == std::string_view::npos) bar = command.size();
    argv.emplace_back(command.substr(start, bar - start));
    start = bar + 1;
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::vector<std::string> gate_sim(std::vector<std::string> args) {
  return command_line(GATE_SIM_COMMAND, std::move(args));
}

std::vector<std::string> gate_backoffice(std::vector<std::string> args) {
  return command_line(GATE_BACKOFFICE_COMMAND, std::move(args));
}

RunResult run_to_end(const std::vector<std::string>& argv, std::chrono::milliseconds line_timeout) {
  ChildProcess child(argv);
  child.close_stdin();
  RunResult r;
  std::string line;
  while (child.read_line(line, line_timeout)) r.out += line + "\n";
  r.exit_code = child.wait_exit();
  return r;
}

}  // namespace gate::test

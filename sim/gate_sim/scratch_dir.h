// ScratchDir: a directory of gate-sim's own under the system's temporary directory, removed with
// everything in it when the owner goes (the journal of a run without --journal, the PN532
// emulator's link). path() is empty when none could be made.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace gate::sim {

class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "gate-sim-XXXXXX").string();
    if (char* dir = mkdtemp(templ.data())) dir_ = dir;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return dir_; }
  // `name` inside the directory; empty when there is no directory.
  std::string file(std::string_view name) const {
    return dir_.empty() ? std::string() : dir_ + "/" + std::string(name);
  }

 private:
  std::string dir_;
};

}  // namespace gate::sim

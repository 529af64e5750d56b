// Shared helpers for tests that run programs and use scratch folders.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace capplan::testing {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell and captures its output and exit code.
inline Outcome shell(const std::string& command) {
  Outcome outcome;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return outcome;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) outcome.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

// Runs `capplan <arguments>` (the binary this build made) through the shell.
inline Outcome capplan(const std::string& arguments) { return shell(std::string(CAPPLAN_BINARY) + " " + arguments); }

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A path inside the source tree.
inline std::string source_path(const std::string& relative) { return std::string(CAPPLAN_SOURCE_DIR) + "/" + relative; }

// configs/*.yaml in name order. bench-*.yaml are GPU benchmark scenarios
// (bench-large: 200 tranches over 7 years, about 17 ms per trial on one CPU
// core): CPU suites validate them but leave them out of what they simulate.
inline std::vector<fs::path> shipped_configs(bool include_benchmarks) {
  std::vector<fs::path> configs;
  for (const auto& entry : fs::directory_iterator(source_path("configs"))) {
    if (entry.path().extension() != ".yaml") continue;
    if (!include_benchmarks && entry.path().filename().string().rfind("bench-", 0) == 0) continue;
    configs.push_back(entry.path());
  }
  std::sort(configs.begin(), configs.end());
  return configs;
}

// A fixture with a fresh scratch folder per test, removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("capplan-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

}  // namespace capplan::testing

// Typed exceptions. Each carries the context a user needs; main() catches them
// once and maps them to exit codes: 2 for bad input or usage, 3 for runtime failures.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace capplan {

// One problem found in a spec file, located precisely.
struct Diagnostic {
  std::string file;
  int line = 0;     // 1-based; 0 when unknown
  int column = 0;   // 1-based; 0 when unknown
  std::string key;  // dotted key path, e.g. "tranches.gb200-t1.units"
  std::string message;

  // "file:line:column: error: key: message", one line, with the file, key and
  // message escaped by printable() (planner/base/printable.h).
  std::string format() const;
};

// Base of every error capplan reports to the user.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  virtual int exit_code() const = 0;
};

// Invalid spec: carries every diagnostic found in one pass (exit code 2).
class SpecError : public Error {
 public:
  // `count` is the number of problems found, when more than the diagnostics
  // shown (they end with a line counting the rest); 0 means one per diagnostic.
  explicit SpecError(std::vector<Diagnostic> diagnostics, std::size_t count = 0);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  std::size_t count() const { return count_ > 0 ? count_ : diagnostics_.size(); }
  int exit_code() const override { return 2; }

 private:
  std::vector<Diagnostic> diagnostics_;
  std::size_t count_ = 0;
};

// Bad command-line usage or option value (exit code 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
  int exit_code() const override { return 2; }
};

// Failure while running: I/O, resources, unavailable backend (exit code 3).
class RuntimeFailure : public Error {
 public:
  explicit RuntimeFailure(const std::string& what) : Error(what) {}
  int exit_code() const override { return 3; }
};

}  // namespace capplan

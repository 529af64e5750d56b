// The problems found while one spec is read, collected so that every problem
// is reported in one pass, then sorted by position for the SpecError.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "planner/base/errors.h"
#include "planner/spec/spec.h"

namespace capplan::loader {

class SpecDiagnostics {
 public:
  explicit SpecDiagnostics(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // A problem at `at` in the spec file; `path` is the dotted key path ("" for the whole file).
  void error(SourceLocation at, const std::string& path, std::string message) {
    keep(Diagnostic{file_, at.line, at.column, path, std::move(message)});
  }

  // A problem with a --set option itself; `origin` is "--set PATH=VALUE".
  void option_error(const std::string& origin, std::string message) {
    keep(Diagnostic{origin, 0, 0, "", std::move(message)});
  }

  // Records that the value at key path `path` (diagnostic form, e.g.
  // "sites.a.power_mw[1].add") was set by the option `origin`.
  void set_by_option(std::string path, std::string origin) {
    set_paths_.emplace_back(std::move(path), std::move(origin));
  }

  // Every problem, in file order: problems inside a --set value name the
  // option instead of a line of the file; past the cap, one line counts the rest.
  std::vector<Diagnostic> sorted() const;

  // The number of problems found (also those past the kept ones).
  std::size_t count() const { return diagnostics_.size() + dropped_; }

 private:
  // Keeps the first kMaxKeptDiagnostics problems found and counts the rest, so
  // a file with millions of errors takes bounded memory.
  void keep(Diagnostic diagnostic);

  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  std::size_t dropped_ = 0;                                     // problems found after the first kMaxKeptDiagnostics
  std::vector<std::pair<std::string, std::string>> set_paths_;  // key path, "--set ..." option
};

}  // namespace capplan::loader

#include "planner/spec/spec_diagnostics.h"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

namespace capplan::loader {
namespace {

constexpr std::size_t kMaxDiagnostics = 200;  // more are summarised in one line

}  // namespace

std::vector<Diagnostic> SpecDiagnostics::sorted() const {
  std::vector<Diagnostic> sorted = diagnostics_;
  // Problems inside a --set value point at the option, not at a line of the file.
  for (Diagnostic& d : sorted) {
    for (const auto& [path, origin] : set_paths_) {
      const bool inside = d.key == path || (d.key.size() > path.size() && d.key.compare(0, path.size(), path) == 0 &&
                                            (d.key[path.size()] == '.' || d.key[path.size()] == '['));
      if (inside) {
        d.file = origin;
        d.line = 0;
        d.column = 0;
      }
    }
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (sorted.size() > kMaxDiagnostics) {
    const std::size_t more = sorted.size() - kMaxDiagnostics;
    sorted.resize(kMaxDiagnostics);
    sorted.push_back(Diagnostic{file_, 0, 0, "", fmt::format("... and {} more errors", more)});
  }
  return sorted;
}

}  // namespace capplan::loader

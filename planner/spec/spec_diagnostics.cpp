#include "planner/spec/spec_diagnostics.h"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

namespace capplan::loader {
namespace {

constexpr std::size_t kMaxDiagnostics = 200;  // more are summarised in one line
// Problems kept for sorting; a file with more (480,000 empty tranches give 1.9
// million) has its first 10,000 found sorted and the rest counted, in bounded
// memory. Problems are found mostly in file order, so the 200 shown are
// the first in the file but for a rare late-found one among the dropped.
constexpr std::size_t kMaxKeptDiagnostics = 10'000;

}  // namespace

void SpecDiagnostics::keep(Diagnostic diagnostic) {
  if (diagnostics_.size() < kMaxKeptDiagnostics) {
    diagnostics_.push_back(std::move(diagnostic));
  } else {
    ++dropped_;
  }
}

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
  if (sorted.size() + dropped_ > kMaxDiagnostics) {
    const std::size_t more = sorted.size() + dropped_ - kMaxDiagnostics;
    sorted.resize(kMaxDiagnostics);
    sorted.push_back(Diagnostic{file_, 0, 0, "", fmt::format("... and {} more errors", more)});
  }
  return sorted;
}

}  // namespace capplan::loader

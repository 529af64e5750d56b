#include "planner/base/errors.h"

#include <sstream>

#include "planner/base/printable.h"

namespace capplan {

std::string Diagnostic::format() const {
  std::ostringstream out;
  out << (file.empty() ? "<spec>" : printable(file));
  if (line > 0) {
    out << ':' << line;
    if (column > 0) out << ':' << column;
  }
  out << ": error: ";
  if (!key.empty()) out << printable(key) << ": ";
  out << printable(message);
  return out.str();
}

namespace {
std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.format();
  }
  return text;
}
}  // namespace

SpecError::SpecError(std::vector<Diagnostic> diagnostics, std::size_t count)
    : Error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)), count_(count) {}

}  // namespace capplan

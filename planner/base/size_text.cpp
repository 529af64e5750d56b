#include "planner/base/size_text.h"

#include <fmt/format.h>

namespace capplan {

std::string format_bytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  // One decimal, unless it is 0: "1.4 GiB", "1 GiB", "512.2 MiB" (a need just
  // over a budget does not read as the budget).
  const std::string number = fmt::format("{:.1f}", value);
  const bool whole = number.size() > 2 && number.compare(number.size() - 2, 2, ".0") == 0;
  return (whole ? number.substr(0, number.size() - 2) : number) + " " + kUnits[unit];
}

std::string group_thousands(const std::string& digits) {
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string grouped_count(std::uint64_t count) { return group_thousands(std::to_string(count)); }

}  // namespace capplan

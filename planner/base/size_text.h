// Sizes and counts as people read them in messages: "512.2 MiB", "36,525".
#pragma once

#include <cstdint>
#include <string>

namespace capplan {

// "836.4 MiB", "1.4 GiB", "512 MiB", "512 bytes" (binary units, one decimal unless 0).
std::string format_bytes(std::uint64_t bytes);

// "1234567" -> "1,234,567": a string of decimal digits with its thousands grouped.
std::string group_thousands(const std::string& digits);

// 36525 -> "36,525".
std::string grouped_count(std::uint64_t count);

}  // namespace capplan

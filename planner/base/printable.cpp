#include "planner/base/printable.h"

#include <cstdint>
#include <iterator>

#include <fmt/format.h>

namespace capplan {

namespace {

struct Range {
  char32_t first, last;
};

// Code points printed as \u{NNNN}: the C1 controls, the line and paragraph
// separators and every format character (general category Cf) of Unicode 15.
constexpr Range kEscapedCodePoints[] = {
    {0x0080, 0x009F},   {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},
    {0x2028, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},
    {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
};

bool escaped_code_point(char32_t code_point) {
  for (const Range& range : kEscapedCodePoints) {
    if (code_point >= range.first && code_point <= range.last) return true;
  }
  return false;
}

// The length of the valid UTF-8 sequence of two or more bytes at the start of
// `text` and its code point, or 0 if it is not one (RFC 3629: no overlong
// forms, no surrogates, nothing beyond U+10FFFF).
std::size_t decode_sequence(std::string_view text, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  char32_t lowest = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, lowest = 0x80, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, lowest = 0x800, code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, lowest = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  if (code_point < lowest || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::string printable(std::string_view text, Newlines newlines) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte < 0x20 && !(byte == '\n' && newlines == Newlines::kKeep)) || byte == 0x7F) {
        fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned>(byte));
      } else {
        out += static_cast<char>(byte);
      }
      ++i;
      continue;
    }
    char32_t code_point = 0;
    const std::size_t length = decode_sequence(text.substr(i), code_point);
    if (length == 0) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned>(byte));
      ++i;
    } else if (escaped_code_point(code_point)) {
      fmt::format_to(std::back_inserter(out), "\\u{{{:04x}}}", static_cast<std::uint32_t>(code_point));
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace capplan

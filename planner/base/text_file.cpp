#include "planner/base/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "planner/base/size_text.h"

namespace capplan {

std::optional<std::string> read_text_file(const std::string& path, const std::string& what, std::string& text,
                                          std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory, not a " + what;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("cannot open the {}: {}", what, std::strerror(errno));
  const std::size_t start = text.size();
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() - start > max_bytes) return "the " + what + " is larger than " + format_bytes(max_bytes);
  }
  if (in.bad()) return "cannot read the " + what;
  return std::nullopt;
}

}  // namespace capplan

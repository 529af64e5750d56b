// Reading a whole text file with a size cap, for every file capplan reads
// (specs, baselines, a run's tables).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace capplan {

// Appends the file at `path` to `text`, reading at most max_bytes + 1 bytes.
// Returns the problem in words ("is a directory, not a spec file", "cannot
// open the spec file: No such file or directory", "the spec file is larger
// than 8 MiB", ...), with `what` naming the file's role, or nothing.
std::optional<std::string> read_text_file(const std::string& path, const std::string& what, std::string& text,
                                          std::size_t max_bytes);

}  // namespace capplan

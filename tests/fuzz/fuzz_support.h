// What the fuzz targets share: the shipped files they start from, read once.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "planner/base/text_file.h"

namespace capplan::fuzz {

// The text of `relative` (e.g. "configs/minimal.yaml") in the source tree.
// Without it a target would fuzz nothing, so a missing file stops the run at
// once with the reason, rather than as a "crash" on the first input.
inline std::string source_text(const std::string& relative) {
  const std::string path = std::string(CAPPLAN_SOURCE_DIR) + "/" + relative;
  std::string text;
  if (const auto problem = read_text_file(path, "fuzz input " + path, text, std::size_t(64) << 20)) {
    std::fprintf(stderr, "fuzz target setup: %s\n", problem->c_str());
    std::exit(2);
  }
  return text;
}

}  // namespace capplan::fuzz

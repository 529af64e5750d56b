// Loading and validating a spec (format version 1) from YAML.
#pragma once

#include <string>

#include "planner/spec.h"

namespace capplan {

// Reads, parses and validates the spec at `path`. Throws SpecError listing every
// problem found (file, line, column, key path, rule broken); throws SpecError
// with a single diagnostic when the file cannot be read.
Spec load_spec_file(const std::string& path);

// Same, from text already in memory; `file_name` is used in diagnostics.
Spec load_spec_text(const std::string& text, const std::string& file_name);

}  // namespace capplan

// Loading and validating a spec (format version 1) from YAML.
#pragma once

#include <string>
#include <vector>

#include "planner/spec/spec.h"

namespace capplan {

// Reads, parses and validates the spec at `path`, after applying `overrides`
// ("PATH=VALUE", as given to --set, e.g. "tranches.t1.units=900"). Throws
// SpecError listing every problem found (file, line, column, key path, rule
// broken; problems in a set value name the --set option); throws SpecError
// with a single diagnostic when the file cannot be read.
Spec load_spec_file(const std::string& path, const std::vector<std::string>& overrides = {});

// The bytes of the spec file at `path` (at most kMaxSpecFileBytes); a SpecError
// naming the file when it cannot be read.
std::string read_spec_file(const std::string& path);

// Same as load_spec_file, from text already in memory; `file_name` is used in diagnostics.
Spec load_spec_text(const std::string& text, const std::string& file_name,
                    const std::vector<std::string>& overrides = {});

}  // namespace capplan

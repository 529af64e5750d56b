// --set PATH=VALUE: changing the YAML tree of a spec before it is read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "planner/spec/spec_diagnostics.h"

namespace capplan {

// A --set path's parts: "a.b[1].c" or "a.b.1.c" -> {"a", "b", "1", "c"};
// nothing when a part is empty.
std::optional<std::vector<std::string>> split_override_path(std::string path_text);

namespace loader {

// Applies each option "PATH=VALUE" to `root`. PATH is dotted (list items by
// index: power_mw.1.add or power_mw[1].add); VALUE is YAML (a number, a date,
// {uniform: [1, 2]}, ...). Missing map keys are created, so optional keys can
// be set too. A malformed option or a path that cannot exist is reported
// against the option; each applied path is recorded in `diag`, so problems
// found later inside the set value name the option rather than a line.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides, SpecDiagnostics& diag);

}  // namespace loader
}  // namespace capplan

// Turning spec text into one YAML document, with located messages for what
// yaml-cpp would report badly or not at all: flow collections nested too deep,
// a token no rule accepts, more than one document, malformed YAML, an empty spec.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "planner/spec/spec_diagnostics.h"

namespace capplan::loader {

// The root node of the spec's only document; nothing after reporting why there is none.
std::optional<YAML::Node> parse_spec_document(const std::string& text, SpecDiagnostics& diag);

}  // namespace capplan::loader

// JSON Schema (draft 2020-12) of the spec format, for editors.
#pragma once

#include <string>

namespace capplan {

// The schema as pretty-printed JSON.
std::string spec_json_schema();

}  // namespace capplan

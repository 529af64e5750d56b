// Reading typed values out of the YAML tree of a spec. A Field is a node with
// its dotted key path and location; each reader either returns the value or
// reports, in the caller's SpecDiagnostics, what was expected and what was found.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/base/date.h"
#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"

namespace capplan::loader {

// A node together with its dotted key path and location.
struct Field {
  YAML::Node node;
  std::string path;      // e.g. "tranches.gb200-t1.delivery.slip_days"
  SourceLocation where;  // the node's own mark, or its key's when it has none

  std::string key(const std::string& name) const { return path.empty() ? name : path + "." + name; }
  std::string index(std::size_t i) const { return path + "[" + std::to_string(i) + "]"; }
};

// The entries of a map with fixed key names, first occurrences in file order.
struct MapFields {
  Field self;
  std::vector<std::pair<std::string, Field>> entries;

  const Field* find(const std::string& name) const {
    for (const auto& entry : entries) {
      if (entry.first == name) return &entry.second;
    }
    return nullptr;
  }
};

// The node's 1-based position, or `fallback` for nodes without a mark (e.g. empty values).
SourceLocation location_of(const YAML::Node& node, SourceLocation fallback);

// What a node is, for "expected X, found Y" messages: "a list", "the text \"x\"", "'3'", ...
std::string describe(const YAML::Node& node);

inline void error(SpecDiagnostics& diag, const Field& at, std::string message) {
  diag.error(at.where, at.path, std::move(message));
}

// -- structure

// Called with a key's text, its value and the key's own location.
using EntryVisitor = std::function<void(const std::string& name, const Field& value, SourceLocation key_where)>;

// Visits each (name, value) pair of a map in file order. Keys must be scalars;
// a key seen before in the same map is reported as a duplicate and skipped.
void for_each_pair(SpecDiagnostics& diag, const Field& map, const EntryVisitor& visit);

// A map of id -> definition (accelerators, systems, sites, ...); `kind` names
// one entry ("tranche"). Visits every entry (ids with bad characters are
// reported but still visited). An empty value is accepted unless `need_one`.
void for_each_entry(SpecDiagnostics& diag, const Field& map, const char* kind, bool need_one,
                    const EntryVisitor& visit);

// A map whose keys must come from `allowed`: unknown keys are reported with the
// closest allowed key, or the list of allowed keys when none is close.
std::optional<MapFields> keyed_map(SpecDiagnostics& diag, const Field& field, const std::vector<std::string>& allowed);

// The value of key `name`, reported as missing when absent.
std::optional<Field> required(SpecDiagnostics& diag, const MapFields& map, const std::string& name);

// The items of a list; `what` names them in the message when it is not a list.
std::optional<std::vector<Field>> read_list(SpecDiagnostics& diag, const Field& field, const char* what);

// -- scalars

// Any scalar, as written.
std::optional<std::string> read_text(SpecDiagnostics& diag, const Field& field);
// A finite decimal number, unquoted.
std::optional<double> read_number(SpecDiagnostics& diag, const Field& field);
// A number > min (`strict`) or >= min.
std::optional<double> read_number_at_least(SpecDiagnostics& diag, const Field& field, double min, bool strict);
// A number in [0, 1].
std::optional<double> read_probability(SpecDiagnostics& diag, const Field& field);
// A whole number in [min, max], written plainly (42) or in exponent form (1e5).
std::optional<std::uint64_t> read_whole(SpecDiagnostics& diag, const Field& field, std::uint64_t min,
                                        std::uint64_t max);
// A date, strictly YYYY-MM-DD.
std::optional<DayNumber> read_date(SpecDiagnostics& diag, const Field& field);
// A list of `count` numbers (0: any non-zero length); `form` says what is expected, e.g. "a list [min, max]".
std::optional<std::vector<double>> read_numbers(SpecDiagnostics& diag, const Field& field, std::size_t count,
                                                const char* form);

// The same for a field that may be missing (already reported): nothing when it is.
std::optional<double> read_number(SpecDiagnostics& diag, const std::optional<Field>& field);
std::optional<double> read_positive(SpecDiagnostics& diag, const std::optional<Field>& field);
std::optional<DayNumber> read_date(SpecDiagnostics& diag, const std::optional<Field>& field);
std::optional<std::vector<double>> read_number_list(SpecDiagnostics& diag, const std::optional<Field>& field);

}  // namespace capplan::loader

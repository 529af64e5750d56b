#include "planner/spec/spec_fields.h"

#include <yaml-cpp/mark.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

// A quoted scalar (or one tagged !!str) is text, never a number.
bool is_text_scalar(const YAML::Node& node) { return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str"; }

}  // namespace

SourceLocation location_of(const YAML::Node& node, SourceLocation fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return fallback;
  return {mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return node.size() == 0 ? "an empty map" : "a map";
    case YAML::NodeType::Scalar:
      if (is_text_scalar(node)) return fmt::format("the text \"{}\"", excerpt(node.Scalar()));
      return fmt::format("'{}'", excerpt(node.Scalar()));
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// ---- structure -----------------------------------------------------------------

void for_each_pair(SpecDiagnostics& diag, const Field& map, const EntryVisitor& visit) {
  std::unordered_set<std::string> seen;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;
    const SourceLocation key_where = location_of(key, map.where);
    if (!key.IsScalar()) {
      diag.error(key_where, map.path, fmt::format("expected a plain name as a map key, found {}", describe(key)));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string path = map.key(excerpt(name));
    if (!seen.insert(name).second) {
      diag.error(key_where, path,
                 fmt::format("duplicate key '{}': each key may appear only once in a map", excerpt(name)));
      continue;
    }
    visit(name, Field{it->second, path, location_of(it->second, key_where)}, key_where);
  }
}

void for_each_entry(SpecDiagnostics& diag, const Field& map, const char* kind, bool need_one,
                    const EntryVisitor& visit) {
  if (map.node.IsNull() && !need_one) return;  // an empty optional section
  if (!map.node.IsMap()) {
    error(diag, map, fmt::format("expected a map of {} ids to their definitions, found {}", kind, describe(map.node)));
    return;
  }
  if (map.node.size() == 0) {
    if (need_one) error(diag, map, fmt::format("expected at least one {}, found an empty map", kind));
    return;
  }
  for_each_pair(diag, map, [&](const std::string& id, const Field& value, SourceLocation key_where) {
    if (!is_valid_id(id)) {
      diag.error(key_where, value.path,
                 fmt::format("{} id '{}' may contain only letters, digits, '-' and '_' (ids are used inside "
                             "quantity names such as tranche:<id>.slip)",
                             kind, excerpt(id)));
    }
    visit(id, value, key_where);
  });
}

std::optional<MapFields> keyed_map(SpecDiagnostics& diag, const Field& field, const std::vector<std::string>& allowed) {
  if (!field.node.IsMap()) {
    error(diag, field, fmt::format("expected a map (keys: {}), found {}", join(allowed), describe(field.node)));
    return std::nullopt;
  }
  MapFields map{field, {}};
  for_each_pair(diag, field, [&](const std::string& name, const Field& value, SourceLocation key_where) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const auto best = closest(name, allowed);
      diag.error(key_where, value.path,
                 best ? fmt::format("unknown key '{}' (did you mean '{}'?)", excerpt(name), *best)
                      : fmt::format("unknown key '{}'; expected one of: {}", excerpt(name), join(allowed)));
      return;
    }
    map.entries.emplace_back(name, value);
  });
  return map;
}

std::optional<Field> required(SpecDiagnostics& diag, const MapFields& map, const std::string& name) {
  if (const Field* value = map.find(name)) return *value;
  diag.error(map.self.where, map.self.key(name), fmt::format("missing required key '{}'", name));
  return std::nullopt;
}

std::optional<std::vector<Field>> read_list(SpecDiagnostics& diag, const Field& field, const char* what) {
  if (!field.node.IsSequence()) {
    error(diag, field, fmt::format("expected a list of {}, found {}", what, describe(field.node)));
    return std::nullopt;
  }
  std::vector<Field> items;
  std::size_t i = 0;
  for (auto it = field.node.begin(); it != field.node.end(); ++it, ++i) {
    items.push_back(Field{*it, field.index(i), location_of(*it, field.where)});
  }
  return items;
}

// ---- scalars ---------------------------------------------------------------------

std::optional<std::string> read_text(SpecDiagnostics& diag, const Field& field) {
  if (!field.node.IsScalar()) {
    error(diag, field, fmt::format("expected a text value, found {}", describe(field.node)));
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<double> read_number(SpecDiagnostics& diag, const Field& field) {
  if (!field.node.IsScalar() || is_text_scalar(field.node)) {
    error(diag, field, fmt::format("expected a number, found {}", describe(field.node)));
    return std::nullopt;
  }
  const auto value = parse_number_text(field.node.Scalar());
  if (!value) {
    error(diag, field, fmt::format("expected a finite number, found {}", describe(field.node)));
  }
  return value;
}

std::optional<double> read_number_at_least(SpecDiagnostics& diag, const Field& field, double min, bool strict) {
  const auto value = read_number(diag, field);
  if (!value) return std::nullopt;
  if (strict ? !(*value > min) : !(*value >= min)) {
    error(diag, field, fmt::format("expected a number {} {}, found {}", strict ? ">" : ">=", min, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> read_probability(SpecDiagnostics& diag, const Field& field) {
  const auto value = read_number(diag, field);
  if (!value) return std::nullopt;
  if (!(*value >= 0.0 && *value <= 1.0)) {
    error(diag, field, fmt::format("expected a probability in [0, 1], found {}", *value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> read_whole(SpecDiagnostics& diag, const Field& field, std::uint64_t min,
                                        std::uint64_t max) {
  const std::string range = fmt::format("from {} to {}", min, max);
  const auto number = read_number(diag, field);
  if (!number) return std::nullopt;
  const std::string& text = field.node.Scalar();
  const std::string digits = !text.empty() && text[0] == '+' ? text.substr(1) : text;
  std::uint64_t value = 0;
  if (is_plain_digits(digits)) {
    // Exact, also above 2^53 (seeds).
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (result.ec != std::errc()) {
      error(diag, field, fmt::format("expected a whole number {}, found {}", range, excerpt(text)));
      return std::nullopt;
    }
  } else {
    if (*number != std::floor(*number)) {
      error(diag, field, fmt::format("expected a whole number {}, found {}", range, *number));
      return std::nullopt;
    }
    if (*number < 0.0 || *number >= 18446744073709551616.0) {  // 2^64
      error(diag, field, fmt::format("expected a whole number {}, found {}", range, *number));
      return std::nullopt;
    }
    value = static_cast<std::uint64_t>(*number);
  }
  if (value < min || value > max) {
    error(diag, field, fmt::format("expected a whole number {}, found {}", range, value));
    return std::nullopt;
  }
  return value;
}

std::optional<DayNumber> read_date(SpecDiagnostics& diag, const Field& field) {
  if (!field.node.IsScalar()) {
    error(diag, field, fmt::format("expected a date YYYY-MM-DD, found {}", describe(field.node)));
    return std::nullopt;
  }
  const auto day = parse_date(field.node.Scalar());
  if (!day) error(diag, field, fmt::format("expected a valid date YYYY-MM-DD, found {}", describe(field.node)));
  return day;
}

std::optional<std::vector<double>> read_numbers(SpecDiagnostics& diag, const Field& field, std::size_t count,
                                                const char* form) {
  if (!field.node.IsSequence() || (count != 0 && field.node.size() != count) ||
      (count == 0 && field.node.size() == 0)) {
    const std::string found =
        field.node.IsSequence() ? fmt::format("a list of {} values", field.node.size()) : describe(field.node);
    error(diag, field, fmt::format("expected {}, found {}", form, found));
    return std::nullopt;
  }
  const auto items = read_list(diag, field, "numbers");
  std::vector<double> values;
  bool ok = true;
  for (const Field& item : *items) {
    const auto value = read_number(diag, item);
    ok = ok && value.has_value();
    values.push_back(value.value_or(0.0));
  }
  if (!ok) return std::nullopt;
  return values;
}

std::optional<double> read_number(SpecDiagnostics& diag, const std::optional<Field>& field) {
  return field ? read_number(diag, *field) : std::optional<double>();
}

std::optional<double> read_positive(SpecDiagnostics& diag, const std::optional<Field>& field) {
  return field ? read_number_at_least(diag, *field, 0.0, true) : std::optional<double>();
}

std::optional<DayNumber> read_date(SpecDiagnostics& diag, const std::optional<Field>& field) {
  return field ? read_date(diag, *field) : std::optional<DayNumber>();
}

std::optional<std::vector<double>> read_number_list(SpecDiagnostics& diag, const std::optional<Field>& field) {
  return field ? read_numbers(diag, *field, 0, "a non-empty list of numbers") : std::optional<std::vector<double>>();
}

}  // namespace capplan::loader

#include "planner/spec/spec_diff.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>

#include "planner/base/errors.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_document.h"

namespace capplan {

const char* const kAbsentValue = "(absent)";

namespace {

// A node that is there, or nothing for an absent key or item.
using MaybeNode = std::optional<YAML::Node>;

void set_flow_style(YAML::Node node) {
  if (!node.IsMap() && !node.IsSequence()) return;
  node.SetStyle(YAML::EmitterStyle::Flow);
  for (auto it = node.begin(); it != node.end(); ++it) set_flow_style(node.IsMap() ? it->second : *it);
}

// The value as one line of YAML flow form, double-quoted when it would read as
// a separator of the change list ("; ", " -> ") or as the absent marker.
std::string flow_value(const MaybeNode& node) {
  if (!node) return kAbsentValue;
  YAML::Node copy = YAML::Clone(*node);
  set_flow_style(copy);
  YAML::Emitter emitter;
  emitter << copy;
  const std::string text = emitter.c_str();
  if (text.find(';') == std::string::npos && text.find(" -> ") == std::string::npos && text != kAbsentValue) {
    return text;
  }
  std::string quoted = "\"";
  for (const char c : text) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return quoted + "\"";
}

bool is_collection(const YAML::Node& node) { return node.IsMap() || node.IsSequence(); }

// Sequences are compared item by item when either holds a map or a sequence;
// sequences of scalars are single values.
bool has_collection_item(const YAML::Node& sequence) {
  return std::any_of(sequence.begin(), sequence.end(), [](const YAML::Node& item) { return is_collection(item); });
}

std::string key_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

MaybeNode map_child(const YAML::Node& map, const std::string& key) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.Scalar() == key) return it->second;
  }
  return std::nullopt;
}

MaybeNode item(const YAML::Node& sequence, std::size_t index) {
  if (index < sequence.size()) return sequence[index];
  return std::nullopt;
}

class Differ {
 public:
  std::vector<SpecChange> changes;

  void compare(const std::string& path, const MaybeNode& a, const MaybeNode& b) {
    if (a && b && a->IsMap() && b->IsMap()) return compare_maps(path, *a, *b);
    if (a && b && a->IsSequence() && b->IsSequence() && (has_collection_item(*a) || has_collection_item(*b))) {
      return compare_sequences(path, *a, *b);
    }
    const std::string old_value = flow_value(a), new_value = flow_value(b);
    if (old_value != new_value) changes.push_back({path, old_value, new_value});
  }

 private:
  void compare_maps(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      const std::string key = it->first.Scalar();
      compare(key_path(path, key), it->second, map_child(b, key));
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (!map_child(a, key)) compare(key_path(path, key), std::nullopt, it->second);
    }
  }

  void compare_sequences(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      compare(path + "[" + std::to_string(i) + "]", item(a, i), item(b, i));
    }
  }
};

YAML::Node parse(const std::string& text) {
  loader::SpecDiagnostics diag("spec text in the ledger");
  std::optional<YAML::Node> root = loader::parse_spec_document(text, diag);
  if (!root) throw SpecError(diag.sorted(), diag.count());
  return *root;
}

}  // namespace

std::vector<SpecChange> spec_diff(const std::string& old_text, const std::string& new_text) {
  Differ differ;
  differ.compare("", parse(old_text), parse(new_text));
  return differ.changes;
}

std::string describe_changes(const std::vector<SpecChange>& changes) {
  std::string text;
  for (const SpecChange& change : changes) {
    text += (text.empty() ? "" : "; ") + change.path + ": " + change.old_value + " -> " + change.new_value;
  }
  return text;
}

}  // namespace capplan

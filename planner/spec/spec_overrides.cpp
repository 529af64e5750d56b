#include "planner/spec/spec_overrides.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "planner/spec/spec_lexical.h"

namespace capplan {

std::optional<std::vector<std::string>> split_override_path(std::string path_text) {
  for (char& c : path_text) {
    if (c == '[') c = '.';
  }
  path_text.erase(std::remove(path_text.begin(), path_text.end(), ']'), path_text.end());
  std::vector<std::string> parts;
  std::stringstream stream(path_text);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  if (parts.empty() || std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    return std::nullopt;
  }
  return parts;
}

namespace loader {
namespace {

// Puts `value` at `parts` under `root`, creating missing map keys. Returns the
// key path in diagnostic form ("sites.a.power_mw[1].add"), or the problem in
// `problem` and nothing.
std::optional<std::string> set_at(YAML::Node root, const std::vector<std::string>& parts, const YAML::Node& value,
                                  std::string& problem) {
  YAML::Node node = root;
  std::string key_path;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    if (node.IsSequence()) {
      if (!is_plain_digits(part) || part.size() > 6 || std::stoul(part) >= node.size()) {
        problem = fmt::format("'{}' has no item {} (it has {})", key_path, part, node.size());
        return std::nullopt;
      }
      const std::size_t index = std::stoul(part);
      key_path += "[" + part + "]";
      if (last) {
        node[index] = value;
      } else {
        node.reset(node[index]);
      }
    } else if (node.IsMap() || node.IsNull()) {
      key_path += (key_path.empty() ? "" : ".") + part;
      if (last) {
        node[part] = value;
      } else {
        if (!node[part] || node[part].IsNull()) node[part] = YAML::Node(YAML::NodeType::Map);
        node.reset(node[part]);
      }
    } else {
      problem = fmt::format("'{}' is a single value, so it has no key '{}'", key_path, part);
      return std::nullopt;
    }
  }
  return key_path;
}

}  // namespace

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides, SpecDiagnostics& diag) {
  for (const std::string& option : overrides) {
    const std::string origin = "--set " + option;
    const std::size_t equals = option.find('=');
    if (equals == std::string::npos || equals == 0) {
      diag.option_error(origin, "expected PATH=VALUE, e.g. tranches.t1.units=900");
      continue;
    }
    const auto parts = split_override_path(option.substr(0, equals));
    if (!parts) {
      diag.option_error(origin, "the path '" + option.substr(0, equals) + "' has an empty part");
      continue;
    }
    YAML::Node value;
    try {
      value = YAML::Load(option.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      diag.option_error(origin, "the value is not valid YAML: " + e.msg);
      continue;
    }
    std::string problem;
    if (const auto key_path = set_at(root, *parts, value, problem)) {
      diag.set_by_option(*key_path, origin);
    } else {
      diag.option_error(origin, problem);
    }
  }
}

}  // namespace loader
}  // namespace capplan

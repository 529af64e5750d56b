// The JSON Schema of the spec format (capplan schema): its shape, and that it
// agrees with the loader: the shipped specs validate, broken ones do not
// (checked with tools/check-schema.py, i.e. Python's jsonschema).
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "planner/base/errors.h"
#include "planner/spec/schema.h"
#include "planner/spec/spec.h"
#include "planner/spec/spec_loader.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // keeps the schema's key order
using capplan::testing::Outcome;
using capplan::testing::shell;

std::string shell_quoted(const std::string& path) { return "'" + path + "'"; }
std::string source(const std::string& relative) { return capplan::testing::source_path(relative); }

// What is missing to run tools/check-schema.py, or "" when nothing is.
std::string missing_python_packages() {
  if (shell("python3 -c 'import sys'").exit_code != 0) return "python3 (Debian: python3)";
  std::string missing;
  if (shell("python3 -c 'import yaml'").exit_code != 0) missing += "yaml (Debian: python3-yaml) ";
  if (shell("python3 -c 'from jsonschema import Draft202012Validator'").exit_code != 0) {
    missing += "jsonschema >= 4.0 (Debian: python3-jsonschema)";
  }
  return missing;
}

// The smallest useful spec (as configs/minimal.yaml); tests change one thing in it.
const std::string kBase = R"(version: 1
name: base
horizon: {start: 2026-01-01, end: 2026-06-30}
accelerators:
  gb200: {dense_tflops: {bf16: 2500}}
systems:
  gb200-nvl72: {accelerator: gb200, accelerators: 72, power_kw: 132}
sites:
  site-a: {install_per_day: {triangular: [2, 4, 6]}}
tranches:
  t1:
    system: gb200-nvl72
    site: site-a
    units: 100
    delivery: {planned: 2026-02-01, slip_days: {triangular: [0, 14, 42]}}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

bool loader_accepts(const std::string& text, std::string& problems) {
  try {
    capplan::load_spec_text(text, "spec.yaml");
    return true;
  } catch (const capplan::SpecError& e) {
    problems = e.what();
    return false;
  }
}

// Every property schema under `node` (recursively) has a description.
void expect_descriptions(const Json& node, const std::string& where) {
  if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) expect_descriptions(node[i], where + "[" + std::to_string(i) + "]");
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("properties") && node["properties"].is_object()) {
    for (const auto& [key, value] : node["properties"].items()) {
      EXPECT_TRUE(value.contains("description")) << where << ".properties." << key << " has no description";
    }
  }
  for (const auto& [key, value] : node.items()) {
    if (key == "if" || key == "then") continue;  // conditions, not documented keys
    expect_descriptions(value, where + "." + key);
  }
}

TEST(Schema, IsJsonWithTheExpectedShape) {
  const Json schema = Json::parse(capplan::spec_json_schema());
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_FALSE(schema.at("$id").get<std::string>().empty());
  EXPECT_FALSE(schema.at("title").get<std::string>().empty());
  EXPECT_NE(schema.at("description").get<std::string>().find("capplan validate"), std::string::npos);
  EXPECT_EQ(schema.at("type"), "object");
  EXPECT_EQ(schema.at("additionalProperties"), false);

  // Exactly the loader's top-level keys, in the loader's order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : schema.at("properties").items()) keys.push_back(key);
  std::vector<std::string> expected = {"version",   "name",         "description", "horizon", "simulation",
                                       "precision", "accelerators", "systems",     "sites",   "tranches",
                                       "risks",     "correlations", "operations",  "report",  "targets",
                                       "milestones"};
  std::sort(keys.begin(), keys.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(schema.at("required"),
            Json({"version", "name", "horizon", "accelerators", "systems", "sites", "tranches"}));

  const Json& defs = schema.at("$defs");
  for (const char* def : {"date", "distribution", "accelerator", "system", "site", "power_step", "tranche", "risk",
                          "risk_target", "correlation", "quantity_name", "target"}) {
    EXPECT_TRUE(defs.contains(def)) << def;
  }
  // The distribution form: a number or exactly one of the seven kinds.
  const Json& form = defs.at("distribution").at("oneOf").at(1);
  EXPECT_EQ(form.at("maxProperties"), 1);
  std::vector<std::string> kinds;
  for (const auto& [key, value] : form.at("properties").items()) kinds.push_back(key);
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"uniform", "triangular", "pert", "normal", "lognormal", "beta", "discrete"}));

  EXPECT_EQ(defs.at("target").at("properties").at("metric").at("enum"), Json(capplan::metric_names()));
  EXPECT_EQ(schema.at("properties").at("simulation").at("properties").at("seed").at("maximum"),
            Json(18446744073709551615ull));
  expect_descriptions(schema, "schema");
}

// ---- every key the schema requires is required by the loader ---------------------

// A key the schema requires in a map the spec has: the map's place (map keys,
// and list indices as "[i]") and the key.
struct RequiredKey {
  std::vector<std::string> steps;
  std::string key;

  // The loader's key path of the key: tranches.gb200-t1.delivery, sites.site-a.power_mw[1].add.
  std::string path() const {
    std::string out;
    for (const std::string& step : steps) out += step[0] == '[' || out.empty() ? step : "." + step;
    return out.empty() ? key : out + "." + key;
  }
};

// Walks a schema and a YAML document together, collecting every required key
// of every map the document has: properties by name, maps of ids through
// additionalProperties or patternProperties (every id in the document), list
// items, and the alternatives (oneOf, anyOf, allOf) whose type fits the node.
// Alternatives without a type only make keys conditionally required (a
// lognormal's median or p10, a risk's delay_days or power_factor): skipped.
class RequiredKeyWalk {
 public:
  explicit RequiredKeyWalk(const Json& schema) : defs_(schema.at("$defs")) {}

  void walk(const Json& schema, const YAML::Node& node) {
    const Json& s = resolved(schema);
    if (node.IsMap()) walk_map(s, node);
    if (node.IsSequence() && s.contains("items")) {
      for (std::size_t i = 0; i < node.size(); ++i) descend("[" + std::to_string(i) + "]", s.at("items"), node[i]);
    }
    for (const char* alternatives : {"oneOf", "anyOf", "allOf"}) {
      if (!s.contains(alternatives)) continue;
      for (const Json& branch : s.at(alternatives)) {
        if (fits(resolved(branch), node)) walk(branch, node);
      }
    }
  }

  const std::vector<RequiredKey>& keys() const { return keys_; }

 private:
  const Json& resolved(const Json& s) const {
    if (!s.is_object() || !s.contains("$ref")) return s;
    return defs_.at(s.at("$ref").get<std::string>().substr(std::string("#/$defs/").size()));
  }

  static bool fits(const Json& s, const YAML::Node& node) {
    if (!s.is_object() || !s.contains("type")) return false;
    const std::string kind = node.IsMap() ? "object" : node.IsSequence() ? "array" : "scalar";
    const Json types = s.at("type").is_array() ? s.at("type") : Json::array({s.at("type")});
    for (const Json& type : types) {
      const std::string name = type.get<std::string>();
      if (name == kind || (kind == "scalar" && name != "object" && name != "array")) return true;
    }
    return false;
  }

  // The schema of `key`'s value in map schema `s`, or null.
  static const Json* value_schema(const Json& s, const std::string& key) {
    if (s.contains("properties") && s.at("properties").contains(key)) return &s.at("properties").at(key);
    if (s.contains("patternProperties")) {
      for (const auto& [pattern, value] : s.at("patternProperties").items()) {
        if (std::regex_search(key, std::regex(pattern))) return &value;
      }
    }
    if (s.contains("additionalProperties") && s.at("additionalProperties").is_object()) {
      return &s.at("additionalProperties");
    }
    return nullptr;
  }

  void walk_map(const Json& s, const YAML::Node& node) {
    if (s.contains("required") && s.contains("properties")) {
      for (const Json& key : s.at("required")) {
        if (node[key.get<std::string>()]) keys_.push_back({steps_, key.get<std::string>()});
      }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (const Json* child = value_schema(s, key)) descend(key, *child, it->second);
    }
  }

  void descend(const std::string& step, const Json& schema, const YAML::Node& node) {
    steps_.push_back(step);
    walk(schema, node);
    steps_.pop_back();
  }

  const Json& defs_;
  std::vector<std::string> steps_;
  std::vector<RequiredKey> keys_;
};

// Removes `key` from the map at `steps` under `node`.
void remove_key(YAML::Node node, const std::vector<std::string>& steps, std::size_t depth, const std::string& key) {
  if (depth == steps.size()) {
    node.remove(key);
    return;
  }
  const std::string& step = steps[depth];
  if (step[0] == '[') {
    remove_key(node[std::stoul(step.substr(1))], steps, depth + 1, key);
  } else {
    remove_key(node[step], steps, depth + 1, key);
  }
}

std::string emitted(const YAML::Node& root) {
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

// For each key the schema marks required, in every map of the every-feature
// spec (every section, entry kind and distribution kind) where it applies: the
// spec without that one key is refused with "missing required key '<key>'" at
// the key's path. The spec goes through yaml-cpp's emitter (flow maps become
// block maps), and as emitted, untouched, it loads.
TEST(SchemaAndLoader, EveryRequiredKeyOfTheSchemaIsRequiredByTheLoader) {
  const std::string text = capplan::testing::read_file(source("tests/specs/every-feature.yaml"));
  const Json schema = Json::parse(capplan::spec_json_schema());
  RequiredKeyWalk walk(schema);
  walk.walk(schema, YAML::Load(text));
  std::string problems;
  ASSERT_TRUE(loader_accepts(emitted(YAML::Load(text)), problems)) << problems;
  for (const RequiredKey& required : walk.keys()) {
    YAML::Node root = YAML::Load(text);
    remove_key(root, required.steps, 0, required.key);
    const std::string expected = "missing required key '" + required.key + "'";
    std::vector<capplan::Diagnostic> diagnostics;
    try {
      capplan::load_spec_text(emitted(root), "spec.yaml");
    } catch (const capplan::SpecError& e) {
      diagnostics = e.diagnostics();
    }
    const bool found = std::any_of(diagnostics.begin(), diagnostics.end(), [&](const capplan::Diagnostic& d) {
      return d.key == required.path() && d.message == expected;
    });
    EXPECT_TRUE(found) << "without " << required.path() << ": expected \"" << expected << "\" at " << required.path()
                       << "; got " << diagnostics.size() << " errors"
                       << (diagnostics.empty() ? std::string() : ", the first: " + diagnostics[0].format());
  }
  // 7 top-level keys, horizon 2, accelerators 2, systems 6, sites 5 (a ready date, two power steps), tranches
  // 10, risks 4, correlations 4, targets 12, milestones 8 and 10 in distributions (normal x2, lognormal x2,
  // beta, discrete).
  EXPECT_GE(walk.keys().size(), 70u);
}

class SchemaCheck : public capplan::testing::ScratchDirTest {
 protected:
  void SetUp() override {
    const std::string missing = missing_python_packages();
    if (!missing.empty()) GTEST_SKIP() << "tools/check-schema.py cannot run; missing: " << missing;
    ScratchDirTest::SetUp();
    schema_ = (dir_ / "schema.json").string();
    write(schema_, capplan::spec_json_schema());
  }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  // A spec text written to a temp file; returns its path.
  std::string spec_file(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / (name + ".yaml")).string();
    write(path, text);
    return path;
  }
  Outcome check(const std::vector<std::string>& specs) {
    std::string command = "python3 " + shell_quoted(source("tools/check-schema.py")) + " " + shell_quoted(schema_);
    for (const auto& spec : specs) command += " " + shell_quoted(spec);
    return shell(command);
  }

  std::string schema_;
};

TEST_F(SchemaCheck, ShippedSpecsValidate) {
  std::vector<std::string> specs;
  for (const fs::path& config : capplan::testing::shipped_configs(true)) specs.push_back(config.string());
  ASSERT_GE(specs.size(), 3u);
  specs.push_back(source("tests/specs/every-feature.yaml"));
  const Outcome outcome = check(specs);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const auto& spec : specs) EXPECT_NE(outcome.output.find("ok   " + spec), std::string::npos) << outcome.output;
}

// Specs the loader accepts at the edges of its rules validate too.
TEST_F(SchemaCheck, LoaderAcceptedEdgeCasesValidate) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"base", kBase},
      {"empty-optionals", kBase + "description:\nrisks:\ntargets:\ncorrelations:\n"},
      {"after-empty", replaced(kBase, "    units: 100\n", "    units: 100\n    after:\n")},
      {"exponent-numbers", replaced(kBase, "units: 100", "units: 1e2")},
      {"whole-as-decimal", replaced(kBase, "units: 100", "units: 100.0")},
      {"largest-seed", kBase + "simulation: {trials: 4294967295, seed: 18446744073709551615}\n"},
      {"quoted-dates", replaced(kBase, "{start: 2026-01-01,", "{start: '2026-01-01',")},
      {"bare-number-text", replaced(kBase, "name: base", "name: 2026") + "description: 42\n"},
      {"zero-units", replaced(kBase, "units: 100", "units: 0")},
      {"planned-before-start", replaced(kBase, "planned: 2026-02-01", "planned: 2025-02-01")},
      {"every-list", kBase + "report: {every: [2026-01-31, 2026-06-30], quantiles: [0.5]}\n"},
      {"normal-fraction",
       replaced(kBase, "    units: 100\n", "    units: 100\n    acceptance: {normal: {mean: 0.9, sd: 0.5}}\n")},
      {"discrete-zero-weight",
       replaced(kBase, "{triangular: [0, 14, 42]}", "{discrete: {values: [-3, 5], weights: [0, 1]}}")},
      {"risks", kBase + "risks:\n  r1: {probability: 1, power_factor: 0, applies_to: [site:site-a]}\n"
                        "  r2: {probability: 0, delay_days: {lognormal: {median: 3, p90: 9}},"
                        " applies_to: [tranche:t1, site:site-a]}\n"},
      {"power-step-risk", replaced(kBase, "site-a: {install_per_day: {triangular: [2, 4, 6]}}",
                                   "site-a: {power_mw: [{planned: 2026-01-01, add: 50}]}") +
                              "risks:\n  r: {probability: 0.5, delay_days: 3, applies_to: [power:site-a/0]}\n"
                              "correlations:\n  - {variables: [power:site-a/0.slip, risk:r.delay, "
                              "operations.utilization], rank_correlation: 0.5}\n"},
  };
  std::vector<std::string> specs;
  for (const auto& [name, text] : cases) {
    std::string problems;
    EXPECT_TRUE(loader_accepts(text, problems)) << name << ": the loader should accept it\n" << problems;
    specs.push_back(spec_file(name, text));
  }
  const Outcome outcome = check(specs);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
}

// Broken specs: the loader rejects each, and so does the schema, at the right key.
TEST_F(SchemaCheck, InvalidSpecsFail) {
  struct Case {
    std::string name, text, path;
  };
  const std::vector<Case> cases = {
      {"unknown-top-key", kBase + "colour: blue\n", "(top level)"},
      {"units-text", replaced(kBase, "units: 100", "units: \"many\""), "tranches.t1.units"},
      {"two-kinds", replaced(kBase, "{triangular: [0, 14, 42]}", "{uniform: [0, 7], triangular: [0, 14, 42]}"),
       "tranches.t1.delivery.slip_days"},
      {"id-with-space", replaced(kBase, "  t1:\n", "  t 1:\n"), "tranches"},
      {"every-hourly", kBase + "report: {every: hourly}\n", "report.every"},
      {"version-2", replaced(kBase, "version: 1", "version: 2"), "version"},
      {"bad-date", replaced(kBase, "planned: 2026-02-01", "planned: 2026-02-30"),
       "cannot read the YAML: not a valid date"},
      {"date-form", replaced(kBase, "planned: 2026-02-01", "planned: '2026-2-1'"), "tranches.t1.delivery.planned"},
      {"lognormal-fraction",
       replaced(kBase, "    units: 100\n", "    units: 100\n    acceptance: {lognormal: {median: 0.5, p90: 0.9}}\n"),
       "tranches.t1.acceptance"},
      {"negative-duration",
       replaced(kBase, "    units: 100\n", "    units: 100\n    burn_in_days: {uniform: [-1, 3]}\n"),
       "tranches.t1.burn_in_days"},
      {"zero-rate", replaced(kBase, "{install_per_day: {triangular: [2, 4, 6]}}", "{install_per_day: 0}"),
       "sites.site-a.install_per_day"},
      {"factor-without-site",
       kBase + "risks:\n  r: {probability: 0.5, power_factor: 0.5, delay_days: 1, applies_to: [tranche:t1]}\n",
       "risks.r.applies_to"},
      {"bad-quantity",
       kBase + "correlations:\n  - {variables: [tranche:t1.slip, tranche:t1.delay], "
               "rank_correlation: 0.5}\n",
       "correlations[0].variables[1]"},
      {"unknown-metric", kBase + "targets:\n  x: {metric: gpus, date: 2026-03-01, at_least: 1}\n", "targets.x.metric"},
  };
  for (const Case& c : cases) {
    std::string problems;
    EXPECT_FALSE(loader_accepts(c.text, problems)) << c.name << ": the loader should reject it";
    const std::string path = spec_file(c.name, c.text);
    const Outcome outcome = check({path});
    EXPECT_EQ(outcome.exit_code, 1) << c.name << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find("FAIL " + path), std::string::npos) << c.name << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find("  " + c.path), std::string::npos)
        << c.name << ": expected an error at " << c.path << "\n"
        << outcome.output;
  }
}

TEST_F(SchemaCheck, ReportsEveryFileAndFailsIfAnyFails) {
  const std::string good = spec_file("good", kBase);
  const std::string bad = spec_file("bad", kBase + "colour: blue\n");
  const Outcome outcome = check({good, bad});
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("ok   " + good), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("FAIL " + bad), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("colour"), std::string::npos) << outcome.output;
}

}  // namespace

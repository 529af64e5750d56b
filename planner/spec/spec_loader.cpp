// Loading and validating a spec (format version 1) from YAML.
//
// The sections are read in a fixed order (horizon, accelerators, systems,
// sites, tranches, risks, ... correlations), whatever the order of the keys in
// the file, so every reference can be checked against what was read before it.
// Every problem becomes a Diagnostic (file, line, column, dotted key path, what
// was expected and what was found); one SpecError carries them all. Entries
// with problems are still kept in the Spec while reading, so later checks
// (references, quantity names) do not report follow-on errors.
//
// The parts: spec_document (text to one YAML document), spec_overrides (--set),
// spec_fields (typed values with their key paths and locations),
// spec_distributions, one file per group of sections (spec_run_settings,
// spec_infrastructure, spec_tranches, spec_risks) and spec_diagnostics (the
// problems found, in file order).

#include "planner/spec/spec_loader.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/base/text_file.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_document.h"
#include "planner/spec/spec_fields.h"
#include "planner/spec/spec_infrastructure.h"
#include "planner/spec/spec_lexical.h"
#include "planner/spec/spec_overrides.h"
#include "planner/spec/spec_risks.h"
#include "planner/spec/spec_run_settings.h"
#include "planner/spec/spec_tranches.h"

namespace capplan {
namespace loader {
namespace {

const std::vector<std::string> kTopKeys = {
    "version", "name",     "description", "horizon",      "simulation", "precision", "accelerators", "systems",
    "sites",   "tranches", "risks",       "correlations", "operations", "report",    "targets",      "milestones"};

// version: exactly 1.
void read_version(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  const auto version = read_whole(diag, field, 0, std::numeric_limits<std::uint64_t>::max());
  if (!version) return;
  if (*version != 1) {
    error(diag, field, fmt::format("unsupported spec version {}; only version 1 is accepted", *version));
    return;
  }
  spec.version = 1;
}

// name: text that names the output folder out/<name>.
void read_name(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  const auto name = read_text(diag, field);
  if (!name) return;
  spec.name = *name;
  if (!is_valid_name(*name)) {
    error(diag, field,
          fmt::format("expected a name of letters, digits, '-', '_' and '.' (it names the output folder "
                      "out/<name>), found '{}'",
                      excerpt(*name)));
  }
}

// The top-level map, section by section in dependency order.
void read_root(SpecDiagnostics& diag, const Field& root, Spec& spec) {
  if (!root.node.IsMap()) {
    error(diag, root,
          fmt::format("expected a map with the spec's keys (version, name, horizon, ...), found {}",
                      describe(root.node)));
    return;
  }
  const auto top = keyed_map(diag, root, kTopKeys);
  if (!top) return;
  if (const auto f = required(diag, *top, "version")) read_version(diag, *f, spec);
  if (const auto f = required(diag, *top, "name")) read_name(diag, *f, spec);
  if (const Field* f = top->find("description")) {
    if (!f->node.IsNull()) {
      if (const auto text = read_text(diag, *f)) spec.description = *text;
    }
  }
  bool horizon_ok = false;  // dates can be checked against the horizon
  if (const auto f = required(diag, *top, "horizon")) horizon_ok = read_horizon(diag, *f, spec.horizon);
  if (const Field* f = top->find("simulation")) read_simulation(diag, *f, spec);
  bool precision_ok = true;  // absent: the default, bf16
  if (const Field* f = top->find("precision")) {
    const auto text = read_text(diag, *f);
    if (text) spec.precision = *text;
    precision_ok = text.has_value();
  }
  TflopsLocations tflops_where;
  if (const auto f = required(diag, *top, "accelerators")) read_accelerators(diag, *f, spec, tflops_where);
  if (const auto f = required(diag, *top, "systems")) read_systems(diag, *f, spec);
  if (precision_ok) check_precision(diag, spec, tflops_where);
  if (const auto f = required(diag, *top, "sites")) read_sites(diag, *f, spec);
  if (const auto f = required(diag, *top, "tranches")) read_tranches(diag, *f, spec);
  if (const Field* f = top->find("risks")) read_risks(diag, *f, spec);
  if (const Field* f = top->find("operations")) read_operations(diag, *f, spec.operations);
  const Horizon* horizon = horizon_ok ? &spec.horizon : nullptr;
  if (const Field* f = top->find("report")) read_report(diag, *f, horizon, spec.report);
  if (const Field* f = top->find("targets")) read_targets(diag, *f, horizon, spec);
  if (const Field* f = top->find("milestones")) read_milestones(diag, *f, spec);
  if (const Field* f = top->find("correlations")) read_correlations(diag, *f, spec);
}

// Parses `text`, applies the --set overrides ("PATH=VALUE") and fills `spec`;
// problems are collected in `diag`.
void read_spec(const std::string& text, const std::vector<std::string>& overrides, SpecDiagnostics& diag, Spec& spec) {
  spec.source_text = text;
  spec.overrides = overrides;
  std::optional<YAML::Node> root = parse_spec_document(text, diag);
  if (!root) return;
  apply_overrides(*root, overrides, diag);
  YAML::Emitter effective;
  effective << *root;
  spec.effective_text = std::string(effective.c_str()) + "\n";
  try {
    read_root(diag, Field{*root, "", location_of(*root, {1, 1})}, spec);
  } catch (const std::exception& e) {
    // Not expected (the readers check node types first), but never let one escape.
    diag.error({}, "", fmt::format("could not read the spec: {}", e.what()));
  }
}

}  // namespace
}  // namespace loader

std::string read_spec_file(const std::string& path) {
  std::string text;
  if (const auto problem = read_text_file(path, "spec file", text, kMaxSpecFileBytes)) {
    throw SpecError({Diagnostic{path, 0, 0, "", *problem}});
  }
  return text;
}

Spec load_spec_file(const std::string& path, const std::vector<std::string>& overrides) {
  return load_spec_text(read_spec_file(path), path, overrides);
}

Spec load_spec_text(const std::string& text, const std::string& file_name, const std::vector<std::string>& overrides) {
  Spec spec;
  spec.source_file = file_name;
  loader::SpecDiagnostics diag(file_name);
  loader::read_spec(text, overrides, diag, spec);
  std::vector<Diagnostic> diagnostics = diag.sorted();
  if (!diagnostics.empty()) throw SpecError(std::move(diagnostics), diag.count());
  return spec;
}

}  // namespace capplan

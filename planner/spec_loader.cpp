// Loading and validating a spec (format version 1) from YAML.
//
// The reader walks the YAML tree in a fixed order (horizon, accelerators,
// systems, sites, tranches, risks, ... correlations), whatever the order of the
// keys in the file, so every reference can be checked against what was read
// before it. Every problem becomes a Diagnostic (file, line, column, dotted key
// path, what was expected and what was found); one SpecError carries them all.
// Entries with problems are still kept in the Spec while reading, so later
// checks (references, quantity names) do not report follow-on errors.

#include "planner/spec_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "planner/correlation.h"
#include "planner/errors.h"
#include "planner/limits.h"
#include "planner/text_file.h"

namespace capplan {
namespace {

constexpr double kZ90 = 1.2815515655446004;   // standard normal 0.9 quantile
constexpr int kMaxFlowNesting = 64;           // [ and { levels accepted by the pre-scan
constexpr std::size_t kMaxDiagnostics = 200;  // more are summarised in one line
// A truncated normal must keep at least this probability inside its range.
constexpr double kMinTruncatedMass = 1e-6;

const std::vector<std::string> kTopKeys = {"version",   "name",         "description", "horizon", "simulation",
                                           "precision", "accelerators", "systems",     "sites",   "tranches",
                                           "risks",     "correlations", "operations",  "report",  "targets"};
const std::vector<std::string> kDistributionKinds = {"uniform",   "triangular", "pert",    "normal",
                                                     "lognormal", "beta",       "discrete"};

// ---- text helpers -------------------------------------------------------------

// User text quoted in a message: control bytes escaped, long text cut (never
// inside a UTF-8 sequence), so binary garbage yields a printable message.
std::string excerpt(const std::string& text, std::size_t limit = 40) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto ch = static_cast<unsigned char>(text[i]);
    const bool continuation = (ch & 0xC0) == 0x80;
    if (i >= limit && !continuation) {
      out += "...";
      break;
    }
    if (ch < 0x20 || ch == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(ch));
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The candidate closest to `word`, if it is close enough to be a likely typo.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() > 200) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    if (candidate.size() > 200) continue;
    std::size_t distance = edit_distance(word, candidate);
    // A word that is the start of a candidate (or the other way round) is a likely slip too.
    const std::string& shorter = word.size() < candidate.size() ? word : candidate;
    const std::string& longer = word.size() < candidate.size() ? candidate : word;
    if (shorter.size() >= 3 && longer.compare(0, shorter.size(), shorter) == 0) {
      distance = std::min<std::size_t>(distance, 1);
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  const std::size_t tolerance = std::max<std::size_t>(2, std::max(word.size(), best ? best->size() : 0) / 3);
  if (best && best_distance <= tolerance) return best;
  return std::nullopt;
}

// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const auto best = closest(word, candidates);
  return best ? fmt::format(" (did you mean '{}'?)", *best) : std::string();
}

// Ids are used inside quantity names ("tranche:<id>.slip", "power:<site>/<i>.slip"),
// so they must not contain ':', '.', '/' or spaces.
bool is_valid_id(const std::string& id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
  });
}

// The spec name names the default output folder (out/<name>), so it is kept to
// a safe file name.
bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.';
  });
}

// A decimal number: [+-]digits[.digits][(e|E)[+-]digits]. No inf, nan or hex.
std::optional<double> parse_number_text(const std::string& text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != n) return std::nullopt;
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  double value = 0.0;
  const auto result = std::from_chars(first, text.data() + n, value, std::chars_format::general);
  if (result.ec != std::errc() || result.ptr != text.data() + n || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool is_plain_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Standard normal CDF.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

const char* kind_name(Distribution::Kind kind) {
  switch (kind) {
    case Distribution::Kind::constant:
      return "constant";
    case Distribution::Kind::uniform:
      return "uniform";
    case Distribution::Kind::triangular:
      return "triangular";
    case Distribution::Kind::pert:
      return "pert";
    case Distribution::Kind::normal:
      return "normal";
    case Distribution::Kind::lognormal:
      return "lognormal";
    case Distribution::Kind::beta:
      return "beta";
    case Distribution::Kind::discrete:
      return "discrete";
  }
  return "distribution";
}

// ---- YAML helpers -------------------------------------------------------------

SourceLocation location_of(const YAML::Node& node, SourceLocation fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return fallback;  // nodes without a mark (e.g. empty values)
  return {mark.line + 1, mark.column + 1};
}

// A quoted scalar (or one tagged !!str) is text, never a number.
bool is_text_scalar(const YAML::Node& node) { return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str"; }

// What a node is, for "expected X, found Y" messages.
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

// Where a distribution is used, which decides the values it may take.
enum class Use {
  signed_days,    // slip_days: any sign
  duration,       // burn_in_days, rework_days, delay_days, repair_days: >= 0
  install_rate,   // install_per_day: >= 0, a constant > 0
  unit_interval,  // acceptance, utilization: within [0, 1]
  factor          // power_factor: >= 0
};

// Flow collections ([ and {) nested deeper than kMaxFlowNesting. yaml-cpp stops
// at a few hundred levels with the bare message "bad file" at 0:0; this pre-scan
// says where instead. Quoted text and comments are skipped; block scalars are
// not recognised, so brackets inside them count (harmless below the limit).
std::optional<SourceLocation> find_deep_flow_nesting(const std::string& text) {
  int depth = 0, line = 1, column = 0;
  char quote = 0;  // ' or " while inside a quoted scalar
  bool comment = false;
  char previous = '\n';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    ++column;
    if (ch == '\n') {
      ++line;
      column = 0;
      comment = false;
      previous = ch;
      continue;
    }
    const bool token_start = previous == '\n' || previous == ' ' || previous == '\t' || previous == '[' ||
                             previous == '{' || previous == ',' || previous == ':';
    if (comment) {
    } else if (quote == '"') {
      if (ch == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
        ++i, ++column;
      } else if (ch == '"') {
        quote = 0;
      }
    } else if (quote == '\'') {
      if (ch == '\'') quote = 0;  // '' (an escaped quote) closes and reopens
    } else if (ch == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
      comment = true;
    } else if ((ch == '"' || ch == '\'') && token_start) {
      quote = ch;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxFlowNesting) return SourceLocation{line, column};
    } else if (ch == ']' || ch == '}') {
      depth = std::max(0, depth - 1);
    }
    previous = ch;
  }
  return std::nullopt;
}

// Records where each document's root node starts (for check_documents).
class DocumentProbe : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark root;
    bool has_root = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark&) override {
    documents.emplace_back();
    depth_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override { node(mark); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
    ++depth_;
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
    ++depth_;
  }
  void OnMapEnd() override { --depth_; }

 private:
  void node(const YAML::Mark& mark) {
    if (depth_ == 0 && !documents.empty() && !documents.back().has_root) documents.back() = {mark, true};
  }
  int depth_ = 0;
};

// ---- the reader -----------------------------------------------------------------

class SpecReader {
 public:
  SpecReader(std::string file, Spec& spec) : file_(std::move(file)), spec_(spec) {}

  // Parses `text`, applies the --set overrides ("PATH=VALUE") and fills the
  // spec; problems are collected in diagnostics().
  void load(const std::string& text, const std::vector<std::string>& overrides = {});
  std::vector<Diagnostic> diagnostics() const;

 private:
  // -- reporting
  void error(SourceLocation at, const std::string& path, std::string message) {
    diagnostics_.push_back(Diagnostic{file_, at.line, at.column, path, std::move(message)});
  }
  void error(const Field& at, std::string message) { error(at.where, at.path, std::move(message)); }

  // -- structure
  template <typename Visit>
  void for_each_pair(const Field& map, Visit&& visit);
  template <typename Visit>
  void for_each_entry(const Field& map, const char* kind, bool need_one, Visit&& visit);
  std::optional<MapFields> keyed_map(const Field& field, const std::vector<std::string>& allowed);
  std::optional<Field> required(const MapFields& map, const std::string& name);
  std::optional<std::vector<Field>> read_list(const Field& field, const char* what);

  // -- scalars
  std::optional<std::string> read_text(const Field& field);
  std::optional<double> read_number(const Field& field);
  std::optional<double> read_number_at_least(const Field& field, double min, bool strict);
  std::optional<double> read_probability(const Field& field);
  std::optional<std::uint64_t> read_whole(const Field& field, std::uint64_t min, std::uint64_t max);
  std::optional<DayNumber> read_date(const Field& field);
  std::optional<DayNumber> read_date_in_horizon(const Field& field);
  std::optional<std::vector<double>> read_numbers(const Field& field, std::size_t count, const char* form);
  // The same for a field that may be missing (already reported): nothing when it is.
  std::optional<double> read_number(const std::optional<Field>& field) {
    return field ? read_number(*field) : std::optional<double>();
  }
  std::optional<double> read_positive(const std::optional<Field>& field) {
    return field ? read_number_at_least(*field, 0.0, true) : std::optional<double>();
  }
  std::optional<DayNumber> read_date(const std::optional<Field>& field) {
    return field ? read_date(*field) : std::optional<DayNumber>();
  }
  std::optional<std::vector<double>> read_number_list(const std::optional<Field>& field) {
    return field ? read_numbers(*field, 0, "a non-empty list of numbers") : std::optional<std::vector<double>>();
  }

  // -- distributions
  std::optional<Distribution> read_distribution(const Field& field, Use use);
  std::optional<Distribution> read_distribution_shape(const Field& field);
  std::optional<Distribution> read_three_point(const Field& body, Distribution::Kind kind);
  std::optional<Distribution> read_normal(const Field& body);
  std::optional<Distribution> read_lognormal(const Field& body);
  std::optional<Distribution> read_beta(const Field& body);
  std::optional<Distribution> read_discrete(const Field& body);
  bool check_use(const Distribution& dist, const Field& field, Use use);
  bool check_truncated_normal(const Distribution& dist, const Field& field, double low, double high);

  // -- sections
  bool check_documents(const std::string& text);
  void read_root(const Field& root);
  void read_version(const Field& field);
  void read_horizon(const Field& field);
  void read_simulation(const Field& field);
  void read_accelerators(const Field& field);
  void read_systems(const Field& field);
  void check_precision();
  void read_sites(const Field& field);
  void read_site(const std::string& id, const Field& field, SourceLocation at);
  void read_power_steps(const Field& field, Site& site);
  void read_tranches(const Field& field);
  void read_tranche(const std::string& id, const Field& field, SourceLocation at);
  void read_delivery(const Field& field, Tranche& tranche);
  void check_after();
  void report_after_cycle(const std::vector<int>& cycle);
  void read_risks(const Field& field);
  void read_risk(const std::string& id, const Field& field, SourceLocation at);
  std::optional<RiskTarget> read_risk_target(const Field& field);
  void read_operations(const Field& field);
  void read_report(const Field& field);
  void read_targets(const Field& field);
  void read_correlations(const Field& field);
  bool read_correlation(const Field& item, const std::vector<std::string>& names, Correlation& correlation);

  void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides);

  std::string file_;
  Spec& spec_;
  std::vector<Diagnostic> diagnostics_;
  // Key paths (in diagnostic form, e.g. "sites.a.power_mw[1].add") set by --set, with the option's text.
  std::vector<std::pair<std::string, std::string>> override_paths_;
  bool horizon_ok_ = false;    // horizon read without problems (dates can be checked against it)
  bool precision_ok_ = false;  // precision read without problems
  std::unordered_map<std::string, SourceLocation> dense_tflops_where_;  // accelerator id -> its dense_tflops

  // A tranche's `after` list, checked once every tranche id is known.
  struct AfterList {
    int tranche = 0;
    Field field;
    std::vector<std::pair<std::string, Field>> entries;
  };
  std::vector<AfterList> after_lists_;
};

// ---- structure -----------------------------------------------------------------

// Visits each (name, value) pair of a map in file order. Keys must be scalars;
// a key seen before in the same map is reported as a duplicate and skipped.
template <typename Visit>
void SpecReader::for_each_pair(const Field& map, Visit&& visit) {
  std::unordered_set<std::string> seen;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;
    const SourceLocation key_where = location_of(key, map.where);
    if (!key.IsScalar()) {
      error(key_where, map.path, fmt::format("expected a plain name as a map key, found {}", describe(key)));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string path = map.key(excerpt(name));
    if (!seen.insert(name).second) {
      error(key_where, path, fmt::format("duplicate key '{}': each key may appear only once in a map", excerpt(name)));
      continue;
    }
    visit(name, Field{it->second, path, location_of(it->second, key_where)}, key_where);
  }
}

// A map of id -> definition (accelerators, systems, sites, ...). Visits every
// entry (ids with bad characters are reported but still visited).
template <typename Visit>
void SpecReader::for_each_entry(const Field& map, const char* kind, bool need_one, Visit&& visit) {
  if (map.node.IsNull() && !need_one) return;  // an empty optional section
  if (!map.node.IsMap()) {
    error(map, fmt::format("expected a map of {} ids to their definitions, found {}", kind, describe(map.node)));
    return;
  }
  if (map.node.size() == 0) {
    if (need_one) error(map, fmt::format("expected at least one {}, found an empty map", kind));
    return;
  }
  for_each_pair(map, [&](const std::string& id, const Field& value, SourceLocation key_where) {
    if (!is_valid_id(id)) {
      error(key_where, value.path,
            fmt::format("{} id '{}' may contain only letters, digits, '-' and '_' (ids are used inside "
                        "quantity names such as tranche:<id>.slip)",
                        kind, excerpt(id)));
    }
    visit(id, value, key_where);
  });
}

// A map whose keys must come from `allowed`: unknown keys are reported with the
// closest allowed key, or the list of allowed keys when none is close.
std::optional<MapFields> SpecReader::keyed_map(const Field& field, const std::vector<std::string>& allowed) {
  if (!field.node.IsMap()) {
    error(field, fmt::format("expected a map (keys: {}), found {}", join(allowed), describe(field.node)));
    return std::nullopt;
  }
  MapFields map{field, {}};
  for_each_pair(field, [&](const std::string& name, const Field& value, SourceLocation key_where) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const auto best = closest(name, allowed);
      error(key_where, value.path,
            best ? fmt::format("unknown key '{}' (did you mean '{}'?)", excerpt(name), *best)
                 : fmt::format("unknown key '{}'; expected one of: {}", excerpt(name), join(allowed)));
      return;
    }
    map.entries.emplace_back(name, value);
  });
  return map;
}

std::optional<Field> SpecReader::required(const MapFields& map, const std::string& name) {
  if (const Field* value = map.find(name)) return *value;
  error(map.self.where, map.self.key(name), fmt::format("missing required key '{}'", name));
  return std::nullopt;
}

std::optional<std::vector<Field>> SpecReader::read_list(const Field& field, const char* what) {
  if (!field.node.IsSequence()) {
    error(field, fmt::format("expected a list of {}, found {}", what, describe(field.node)));
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

std::optional<std::string> SpecReader::read_text(const Field& field) {
  if (!field.node.IsScalar()) {
    error(field, fmt::format("expected a text value, found {}", describe(field.node)));
    return std::nullopt;
  }
  return field.node.Scalar();
}

// A finite decimal number, unquoted.
std::optional<double> SpecReader::read_number(const Field& field) {
  if (!field.node.IsScalar() || is_text_scalar(field.node)) {
    error(field, fmt::format("expected a number, found {}", describe(field.node)));
    return std::nullopt;
  }
  const auto value = parse_number_text(field.node.Scalar());
  if (!value) {
    error(field, fmt::format("expected a finite number, found {}", describe(field.node)));
  }
  return value;
}

std::optional<double> SpecReader::read_number_at_least(const Field& field, double min, bool strict) {
  const auto value = read_number(field);
  if (!value) return std::nullopt;
  if (strict ? !(*value > min) : !(*value >= min)) {
    error(field, fmt::format("expected a number {} {}, found {}", strict ? ">" : ">=", min, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> SpecReader::read_probability(const Field& field) {
  const auto value = read_number(field);
  if (!value) return std::nullopt;
  if (!(*value >= 0.0 && *value <= 1.0)) {
    error(field, fmt::format("expected a probability in [0, 1], found {}", *value));
    return std::nullopt;
  }
  return value;
}

// A whole number in [min, max], written plainly (42) or in exponent form (1e5).
std::optional<std::uint64_t> SpecReader::read_whole(const Field& field, std::uint64_t min, std::uint64_t max) {
  const std::string range = fmt::format("from {} to {}", min, max);
  const auto number = read_number(field);
  if (!number) return std::nullopt;
  const std::string& text = field.node.Scalar();
  const std::string digits = !text.empty() && text[0] == '+' ? text.substr(1) : text;
  std::uint64_t value = 0;
  if (is_plain_digits(digits)) {
    // Exact, also above 2^53 (seeds).
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (result.ec != std::errc()) {
      error(field, fmt::format("expected a whole number {}, found {}", range, excerpt(text)));
      return std::nullopt;
    }
  } else {
    if (*number != std::floor(*number)) {
      error(field, fmt::format("expected a whole number {}, found {}", range, *number));
      return std::nullopt;
    }
    if (*number < 0.0 || *number >= 18446744073709551616.0) {
      error(field, fmt::format("expected a whole number {}, found {}", range, *number));
      return std::nullopt;
    }
    value = static_cast<std::uint64_t>(*number);
  }
  if (value < min || value > max) {
    error(field, fmt::format("expected a whole number {}, found {}", range, value));
    return std::nullopt;
  }
  return value;
}

// Dates are strictly YYYY-MM-DD.
std::optional<DayNumber> SpecReader::read_date(const Field& field) {
  if (!field.node.IsScalar()) {
    error(field, fmt::format("expected a date YYYY-MM-DD, found {}", describe(field.node)));
    return std::nullopt;
  }
  const auto day = parse_date(field.node.Scalar());
  if (!day) error(field, fmt::format("expected a valid date YYYY-MM-DD, found {}", describe(field.node)));
  return day;
}

std::optional<DayNumber> SpecReader::read_date_in_horizon(const Field& field) {
  const auto day = read_date(field);
  if (!day || !horizon_ok_) return day;
  if (*day < spec_.horizon.start || *day > spec_.horizon.end) {
    error(field, fmt::format("date {} is outside the horizon {} .. {}", format_date(*day),
                             format_date(spec_.horizon.start), format_date(spec_.horizon.end)));
    return std::nullopt;
  }
  return day;
}

// A list of numbers; `count` 0 means any non-zero length.
std::optional<std::vector<double>> SpecReader::read_numbers(const Field& field, std::size_t count, const char* form) {
  if (!field.node.IsSequence() || (count != 0 && field.node.size() != count) ||
      (count == 0 && field.node.size() == 0)) {
    const std::string found =
        field.node.IsSequence() ? fmt::format("a list of {} values", field.node.size()) : describe(field.node);
    error(field, fmt::format("expected {}, found {}", form, found));
    return std::nullopt;
  }
  const auto items = read_list(field, "numbers");
  std::vector<double> values;
  bool ok = true;
  for (const Field& item : *items) {
    const auto value = read_number(item);
    ok = ok && value.has_value();
    values.push_back(value.value_or(0.0));
  }
  if (!ok) return std::nullopt;
  return values;
}

// ---- distributions ---------------------------------------------------------------

std::optional<Distribution> SpecReader::read_distribution(const Field& field, Use use) {
  auto dist = read_distribution_shape(field);
  if (!dist) return std::nullopt;
  dist->location = field.where;
  if (!check_use(*dist, field, use)) return std::nullopt;
  return dist;
}

// A plain number (constant) or a map with exactly one distribution kind.
std::optional<Distribution> SpecReader::read_distribution_shape(const Field& field) {
  if (field.node.IsScalar()) {
    const auto value = read_number(field);
    if (!value) return std::nullopt;
    return Distribution::constant_value(*value);
  }
  if (!field.node.IsMap()) {
    error(field, fmt::format("expected a number or a distribution map ({}), found {}", join(kDistributionKinds),
                             describe(field.node)));
    return std::nullopt;
  }
  const auto map = keyed_map(field, kDistributionKinds);
  if (!map) return std::nullopt;
  if (field.node.size() == 0) {
    error(field, fmt::format("expected a number or one of {}, found an empty map", join(kDistributionKinds)));
    return std::nullopt;
  }
  if (map->entries.size() > 1) {
    std::vector<std::string> kinds;
    for (const auto& entry : map->entries) kinds.push_back(entry.first);
    error(field, fmt::format("expected exactly one distribution kind, found {}", join(kinds, " and ")));
    return std::nullopt;
  }
  if (map->entries.empty()) return std::nullopt;  // its key was reported as unknown
  const auto& [kind, body] = map->entries.front();
  if (kind == "uniform") {
    const auto v = read_numbers(body, 2, "a list [min, max]");
    if (!v) return std::nullopt;
    if (!((*v)[0] <= (*v)[1])) {
      error(body, fmt::format("a uniform needs min <= max, found min {}, max {}", (*v)[0], (*v)[1]));
      return std::nullopt;
    }
    Distribution d;
    d.kind = Distribution::Kind::uniform;
    d.a = (*v)[0];
    d.b = (*v)[1];
    return d;
  }
  if (kind == "triangular") return read_three_point(body, Distribution::Kind::triangular);
  if (kind == "pert") return read_three_point(body, Distribution::Kind::pert);
  if (kind == "normal") return read_normal(body);
  if (kind == "lognormal") return read_lognormal(body);
  if (kind == "beta") return read_beta(body);
  return read_discrete(body);
}

// triangular / pert: [min, mode, max] with min <= mode <= max.
std::optional<Distribution> SpecReader::read_three_point(const Field& body, Distribution::Kind kind) {
  const auto v = read_numbers(body, 3, "a list [min, mode, max]");
  if (!v) return std::nullopt;
  const double min = (*v)[0], mode = (*v)[1], max = (*v)[2];
  if (!(min <= mode && mode <= max)) {
    error(body, fmt::format("a {} whose min <= mode <= max does not hold: min {}, mode {}, max {}", kind_name(kind),
                            min, mode, max));
    return std::nullopt;
  }
  Distribution d;
  d.kind = kind;
  d.a = min;
  d.b = mode;
  d.c = max;
  return d;
}

// normal: {mean, sd}, sd > 0.
std::optional<Distribution> SpecReader::read_normal(const Field& body) {
  const auto map = keyed_map(body, {"mean", "sd"});
  if (!map) return std::nullopt;
  const auto mean_field = required(*map, "mean");
  const auto sd_field = required(*map, "sd");
  const auto mean = read_number(mean_field);
  const auto sd = read_positive(sd_field);
  if (!mean || !sd) return std::nullopt;
  Distribution d;
  d.kind = Distribution::Kind::normal;
  d.a = *mean;
  d.b = *sd;
  return d;
}

// lognormal: {median, p90} or {p10, p90}, stored as mu and sigma of ln X:
//   {median, p90}: mu = ln median,               sigma = (ln p90 - mu) / z90
//   {p10, p90}:    mu = (ln p10 + ln p90) / 2,   sigma = (ln p90 - ln p10) / (2 z90)
std::optional<Distribution> SpecReader::read_lognormal(const Field& body) {
  const auto map = keyed_map(body, {"median", "p10", "p90"});
  if (!map) return std::nullopt;
  const Field* median_field = map->find("median");
  const Field* p10_field = map->find("p10");
  if (median_field && p10_field) {
    error(body, "expected {median, p90} or {p10, p90}, found both median and p10");
    return std::nullopt;
  }
  if (!median_field && !p10_field) {
    error(body, "expected {median, p90} or {p10, p90}, found neither median nor p10");
    return std::nullopt;
  }
  const auto p90_field = required(*map, "p90");
  const Field& low_field = median_field ? *median_field : *p10_field;
  const char* low_name = median_field ? "median" : "p10";
  const auto low = read_number(low_field);
  const auto p90 = read_number(p90_field);
  if (!low || !p90) return std::nullopt;
  if (!(*low > 0.0)) {
    error(low_field, fmt::format("a lognormal's {} must be > 0, found {}", low_name, *low));
    return std::nullopt;
  }
  if (!(*p90 > *low)) {
    error(*p90_field, fmt::format("p90 must be above its {} ({} {}), found p90 {}", low_name, low_name, *low, *p90));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::lognormal;
  if (median_field) {
    d.a = std::log(*low);
    d.b = (std::log(*p90) - d.a) / kZ90;
  } else {
    d.a = 0.5 * (std::log(*low) + std::log(*p90));
    d.b = (std::log(*p90) - std::log(*low)) / (2.0 * kZ90);
  }
  if (!(d.b > 0.0) || !std::isfinite(d.a) || !std::isfinite(d.b)) {
    error(*p90_field, fmt::format("p90 {} is too close to the {} {} to give a spread", *p90, low_name, *low));
    return std::nullopt;
  }
  return d;
}

// beta: {mean, sd} with 0 < mean < 1, sd > 0 and sd^2 < mean (1 - mean);
// k = mean (1 - mean) / sd^2 - 1, alpha = mean k, beta = (1 - mean) k.
std::optional<Distribution> SpecReader::read_beta(const Field& body) {
  const auto map = keyed_map(body, {"mean", "sd"});
  if (!map) return std::nullopt;
  const auto mean_field = required(*map, "mean");
  const auto sd_field = required(*map, "sd");
  auto mean = read_number(mean_field);
  const auto sd = read_positive(sd_field);
  if (mean && !(*mean > 0.0 && *mean < 1.0)) {
    error(*mean_field, fmt::format("a beta's mean must lie strictly between 0 and 1, found {}", *mean));
    mean.reset();
  }
  if (!mean || !sd) return std::nullopt;
  const double variance_limit = *mean * (1.0 - *mean);
  if (!(*sd * *sd < variance_limit)) {
    error(*sd_field, fmt::format("a beta with mean {} needs sd below sqrt(mean (1 - mean)) = {:.6g}, found {}", *mean,
                                 std::sqrt(variance_limit), *sd));
    return std::nullopt;
  }
  const double k = variance_limit / (*sd * *sd) - 1.0;
  Distribution d;
  d.kind = Distribution::Kind::beta;
  d.a = *mean * k;
  d.b = (1.0 - *mean) * k;
  if (!(d.a > 0.0 && d.b > 0.0 && std::isfinite(d.a) && std::isfinite(d.b))) {
    error(*sd_field, fmt::format("sd {} is too small for a beta with mean {}", *sd, *mean));
    return std::nullopt;
  }
  return d;
}

// discrete: {values, weights} of the same non-zero length; weights >= 0 with a positive sum.
std::optional<Distribution> SpecReader::read_discrete(const Field& body) {
  const auto map = keyed_map(body, {"values", "weights"});
  if (!map) return std::nullopt;
  const auto values_field = required(*map, "values");
  const auto weights_field = required(*map, "weights");
  const auto values = read_number_list(values_field);
  const auto weights = read_number_list(weights_field);
  if (!values || !weights) return std::nullopt;
  if (values->size() != weights->size()) {
    error(*weights_field,
          fmt::format("expected as many weights as values ({}), found {}", values->size(), weights->size()));
    return std::nullopt;
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < weights->size(); ++i) {
    if (!((*weights)[i] >= 0.0)) {
      error(*weights_field, fmt::format("weights must be >= 0, found {} at index {}", (*weights)[i], i));
      return std::nullopt;
    }
    sum += (*weights)[i];
  }
  if (!(sum > 0.0) || !std::isfinite(sum)) {
    error(*weights_field, fmt::format("expected weights with a positive, finite sum, found sum {}", sum));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::discrete;
  d.values = *values;
  d.weights = *weights;
  return d;
}

// A normal used where values are bounded is truncated to [low, high] by the
// sampler (kernels/sampling.h: u_lo, u_span); it must keep some probability there.
bool SpecReader::check_truncated_normal(const Distribution& dist, const Field& field, double low, double high) {
  const double mass = normal_cdf((high - dist.a) / dist.b) - normal_cdf((low - dist.a) / dist.b);
  if (!(mass >= kMinTruncatedMass)) {
    error(field, fmt::format("a normal with mean {} and sd {} has almost no probability inside [{}, {}], where "
                             "it is truncated",
                             dist.a, dist.b, low, high));
    return false;
  }
  return true;
}

// The range rules of each use site (see Use).
bool SpecReader::check_use(const Distribution& dist, const Field& field, Use use) {
  const bool normal = dist.kind == Distribution::Kind::normal;
  const double inf = std::numeric_limits<double>::infinity();
  const auto below_zero = [&](const char* what) {
    error(field, fmt::format("this {} can go below 0 (its minimum is {}); {} must be >= 0", kind_name(dist.kind),
                             dist.support_min(), what));
    return false;
  };
  switch (use) {
    case Use::signed_days:
      return true;
    case Use::duration:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("a duration in days");
      return true;
    case Use::install_rate:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("an install rate");
      if (dist.is_constant() && !(dist.a > 0.0)) {
        error(field, fmt::format("expected an install rate > 0 systems per day, found {}", dist.a));
        return false;
      }
      if (!(dist.support_max() > 0.0)) {
        error(field, "this install rate is never above 0, so the site could never install anything");
        return false;
      }
      return true;
    case Use::unit_interval:
      // A normal is allowed and truncated to [0, 1] by the sampler; a lognormal is not.
      if (normal) return check_truncated_normal(dist, field, 0.0, 1.0);
      if (dist.kind == Distribution::Kind::lognormal) {
        error(field,
              "a lognormal is not allowed here: the value is a fraction in [0, 1] (use beta, uniform, "
              "triangular, pert, normal or discrete)");
        return false;
      }
      if (dist.support_min() < 0.0 || dist.support_max() > 1.0) {
        error(field, fmt::format("this {} can go outside [0, 1] (its range is [{}, {}]); a fraction in [0, 1] "
                                 "is expected",
                                 kind_name(dist.kind), dist.support_min(), dist.support_max()));
        return false;
      }
      return true;
    case Use::factor:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("a power factor");
      return true;
  }
  return true;
}

// ---- sections ----------------------------------------------------------------------

void SpecReader::load(const std::string& text, const std::vector<std::string>& overrides) {
  spec_.source_text = text;
  spec_.overrides = overrides;
  if (const auto deep = find_deep_flow_nesting(text)) {
    error(*deep, "", fmt::format("nesting deeper than {} levels of [ or {{; a spec needs only a few", kMaxFlowNesting));
    return;
  }
  YAML::Node root;
  try {
    if (!check_documents(text)) return;
    root = YAML::Load(text);  // the first (and only) document
  } catch (const YAML::DeepRecursion& e) {
    error(SourceLocation{std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1}, "",
          fmt::format("malformed YAML: nesting deeper than {} levels", e.depth()));
    return;
  } catch (const YAML::ParserException& e) {
    const SourceLocation at = e.mark.line >= 0 ? SourceLocation{e.mark.line + 1, e.mark.column + 1} : SourceLocation{};
    error(at, "", "malformed YAML: " + e.msg);
    return;
  } catch (const std::exception& e) {
    error({}, "", fmt::format("malformed YAML: {}", e.what()));
    return;
  }
  if (root.IsNull()) {
    error({1, 1}, "",
          "the spec is empty: expected a map with at least version, name, horizon, accelerators, "
          "systems, sites and tranches");
    return;
  }
  apply_overrides(root, overrides);
  try {
    read_root(Field{root, "", location_of(root, {1, 1})});
  } catch (const std::exception& e) {
    // Not expected (the reader checks node types first), but never let one escape.
    error({}, "", fmt::format("could not read the spec: {}", e.what()));
  }
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, when a parse does not consume
// its first token, e.g. a stray ',' at the top level (jbeder/yaml-cpp#1040, fixed
// upstream by #1319). So the documents are first counted with a bounded event
// parse, and only the first one is then loaded. Returns false after reporting.
bool SpecReader::check_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentProbe probe;
  while (probe.documents.size() < 3 && parser.HandleNextDocument(probe)) {
  }
  const auto& docs = probe.documents;
  for (std::size_t i = 1; i < docs.size(); ++i) {
    if (docs[i].root.pos == docs[i - 1].root.pos) {  // no progress: a token no rule accepts
      const std::size_t pos = static_cast<std::size_t>(std::max(docs[i].root.pos, 0));
      error(SourceLocation{docs[i].root.line + 1, docs[i].root.column + 1}, "",
            fmt::format("malformed YAML: unexpected '{}'", pos < text.size() ? excerpt(text.substr(pos, 1)) : ""));
      return false;
    }
  }
  if (docs.size() > 1) {
    error(SourceLocation{docs[1].root.line + 1, docs[1].root.column + 1}, "",
          "expected one YAML document, found more (remove the extra '---' separators)");
    return false;
  }
  return true;
}

// --set PATH=VALUE: PATH is dotted (list items by index: power_mw.1.add or
// power_mw[1].add); VALUE is YAML (a number, a date, {uniform: [1, 2]}, ...).
// Missing map keys are created, so optional keys can be set too. The changed
// tree is then validated like the file; problems inside a set value are
// reported against the --set option rather than a line of the file.
void SpecReader::apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides) {
  for (const std::string& option : overrides) {
    const std::string origin = "--set " + option;
    auto fail = [&](const std::string& message) { diagnostics_.push_back(Diagnostic{origin, 0, 0, "", message}); };
    const std::size_t equals = option.find('=');
    if (equals == std::string::npos || equals == 0) {
      fail("expected PATH=VALUE, e.g. tranches.t1.units=900");
      continue;
    }
    std::string path_text = option.substr(0, equals);
    for (char& c : path_text) {
      if (c == '[') c = '.';
    }
    path_text.erase(std::remove(path_text.begin(), path_text.end(), ']'), path_text.end());
    std::vector<std::string> parts;
    std::stringstream stream(path_text);
    for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
    if (parts.empty() || std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
      fail("the path '" + option.substr(0, equals) + "' has an empty part");
      continue;
    }
    YAML::Node value;
    try {
      value = YAML::Load(option.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      fail("the value is not valid YAML: " + e.msg);
      continue;
    }
    YAML::Node node = root;
    std::string key_path;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& part = parts[i];
      const bool last = i + 1 == parts.size();
      if (node.IsSequence()) {
        if (!is_plain_digits(part) || part.size() > 6 || std::stoul(part) >= node.size()) {
          fail(fmt::format("'{}' has no item {} (it has {})", key_path, part, node.size()));
          ok = false;
          break;
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
        fail(fmt::format("'{}' is a single value, so it has no key '{}'", key_path, part));
        ok = false;
      }
    }
    if (ok) override_paths_.emplace_back(key_path, origin);
  }
}

std::vector<Diagnostic> SpecReader::diagnostics() const {
  std::vector<Diagnostic> sorted = diagnostics_;
  // Problems inside a --set value point at the option, not at a line of the file.
  for (Diagnostic& d : sorted) {
    for (const auto& [path, origin] : override_paths_) {
      const bool inside = d.key == path || (d.key.size() > path.size() && d.key.compare(0, path.size(), path) == 0 &&
                                            (d.key[path.size()] == '.' || d.key[path.size()] == '['));
      if (inside) {
        d.file = origin;
        d.line = 0;
        d.column = 0;
      }
    }
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (sorted.size() > kMaxDiagnostics) {
    const std::size_t more = sorted.size() - kMaxDiagnostics;
    sorted.resize(kMaxDiagnostics);
    sorted.push_back(Diagnostic{file_, 0, 0, "", fmt::format("... and {} more errors", more)});
  }
  return sorted;
}

void SpecReader::read_root(const Field& root) {
  if (!root.node.IsMap()) {
    error(root, fmt::format("expected a map with the spec's keys (version, name, horizon, ...), found {}",
                            describe(root.node)));
    return;
  }
  const auto top = keyed_map(root, kTopKeys);
  if (!top) return;
  if (const auto f = required(*top, "version")) read_version(*f);
  if (const auto f = required(*top, "name")) {
    if (const auto name = read_text(*f)) {
      spec_.name = *name;
      if (!is_valid_name(*name)) {
        error(*f, fmt::format("expected a name of letters, digits, '-', '_' and '.' (it names the output folder "
                              "out/<name>), found '{}'",
                              excerpt(*name)));
      }
    }
  }
  if (const Field* f = top->find("description")) {
    if (!f->node.IsNull()) {
      if (const auto text = read_text(*f)) spec_.description = *text;
    }
  }
  if (const auto f = required(*top, "horizon")) read_horizon(*f);
  if (const Field* f = top->find("simulation")) read_simulation(*f);
  if (const Field* f = top->find("precision")) {
    if (const auto text = read_text(*f)) {
      spec_.precision = *text;
      precision_ok_ = true;
    }
  } else {
    precision_ok_ = true;  // the default, bf16
  }
  if (const auto f = required(*top, "accelerators")) read_accelerators(*f);
  if (const auto f = required(*top, "systems")) read_systems(*f);
  check_precision();
  if (const auto f = required(*top, "sites")) read_sites(*f);
  if (const auto f = required(*top, "tranches")) read_tranches(*f);
  check_after();
  if (const Field* f = top->find("risks")) read_risks(*f);
  if (const Field* f = top->find("operations")) read_operations(*f);
  if (const Field* f = top->find("report")) read_report(*f);
  if (const Field* f = top->find("targets")) read_targets(*f);
  if (const Field* f = top->find("correlations")) read_correlations(*f);
}

// version: exactly 1.
void SpecReader::read_version(const Field& field) {
  const auto version = read_whole(field, 0, std::numeric_limits<std::uint64_t>::max());
  if (!version) return;
  if (*version != 1) {
    error(field, fmt::format("unsupported spec version {}; only version 1 is accepted", *version));
    return;
  }
  spec_.version = 1;
}

// horizon: {start, end}; end >= start, at most 100 years.
void SpecReader::read_horizon(const Field& field) {
  const auto map = keyed_map(field, {"start", "end"});
  if (!map) return;
  const auto start_field = required(*map, "start");
  const auto end_field = required(*map, "end");
  const auto start = read_date(start_field);
  const auto end = read_date(end_field);
  if (!start || !end) return;
  if (*end < *start) {
    error(*end_field, fmt::format("the horizon end {} is before its start {}", format_date(*end), format_date(*start)));
    return;
  }
  if (*end - *start + 1 > kMaxHorizonDays) {
    error(*end_field, fmt::format("the horizon is {} days long; at most 100 years ({} days) is supported",
                                  *end - *start + 1, kMaxHorizonDays));
    return;
  }
  spec_.horizon.start = *start;
  spec_.horizon.end = *end;
  horizon_ok_ = true;
}

// simulation: {trials: 1 .. 2^32-1, seed: 0 .. 2^64-1}.
void SpecReader::read_simulation(const Field& field) {
  const auto map = keyed_map(field, {"trials", "seed"});
  if (!map) return;
  if (const Field* f = map->find("trials")) {
    if (const auto trials = read_whole(*f, 1, kMaxTrials)) spec_.trials = *trials;
  }
  if (const Field* f = map->find("seed")) {
    if (const auto seed = read_whole(*f, 0, kMaxSeed)) spec_.seed = *seed;
  }
}

// accelerators: id -> {dense_tflops: {precision: TFLOPS > 0, ...}}.
void SpecReader::read_accelerators(const Field& field) {
  for_each_entry(field, "accelerator", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Accelerator accelerator;
    accelerator.id = id;
    accelerator.location = at;
    if (const auto map = keyed_map(entry, {"dense_tflops"})) {
      if (const auto tflops = required(*map, "dense_tflops")) {
        dense_tflops_where_[id] = tflops->where;
        if (!tflops->node.IsMap() || tflops->node.size() == 0) {
          error(*tflops, fmt::format("expected a map of precision -> dense TFLOPS, e.g. {{bf16: 2500}}, found {}",
                                     describe(tflops->node)));
        } else {
          for_each_pair(*tflops, [&](const std::string& precision, const Field& value, SourceLocation) {
            if (const auto number = read_number_at_least(value, 0.0, true)) {
              accelerator.dense_tflops.emplace_back(precision, *number);
            }
          });
        }
      }
    }
    spec_.accelerators.push_back(std::move(accelerator));
  });
}

// systems: id -> {accelerator: <id>, accelerators: whole > 0, power_kw: >= 0}.
void SpecReader::read_systems(const Field& field) {
  std::vector<std::string> accelerator_ids;
  for (const auto& a : spec_.accelerators) accelerator_ids.push_back(a.id);
  for_each_entry(field, "system", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    System system;
    system.id = id;
    system.location = at;
    if (const auto map = keyed_map(entry, {"accelerator", "accelerators", "power_kw"})) {
      if (const auto f = required(*map, "accelerator")) {
        if (const auto ref = read_text(*f)) {
          system.accelerator = *ref;
          if (!spec_.find_accelerator(*ref)) {
            error(*f, fmt::format("unknown accelerator '{}'{}", excerpt(*ref), did_you_mean(*ref, accelerator_ids)));
          }
        }
      }
      if (const auto f = required(*map, "accelerators")) {
        if (const auto n = read_whole(*f, 1, kMaxAcceleratorsPerSystem)) system.accelerators = static_cast<int>(*n);
      }
      if (const auto f = required(*map, "power_kw")) {
        if (const auto kw = read_number_at_least(*f, 0.0, false)) system.power_kw = *kw;
      }
    }
    spec_.systems.push_back(std::move(system));
  });
}

// Every accelerator used by a system must have a dense_tflops entry at `precision`.
void SpecReader::check_precision() {
  if (!precision_ok_) return;
  for (const auto& accelerator : spec_.accelerators) {
    const auto user = std::find_if(spec_.systems.begin(), spec_.systems.end(),
                                   [&](const System& s) { return s.accelerator == accelerator.id; });
    const auto where = dense_tflops_where_.find(accelerator.id);
    if (user == spec_.systems.end() || where == dense_tflops_where_.end()) continue;
    const bool has = std::any_of(accelerator.dense_tflops.begin(), accelerator.dense_tflops.end(),
                                 [&](const auto& entry) { return entry.first == spec_.precision; });
    if (!has) {
      std::vector<std::string> known;
      for (const auto& entry : accelerator.dense_tflops) known.push_back(entry.first);
      error(where->second, "accelerators." + accelerator.id + ".dense_tflops",
            fmt::format("no entry for precision '{}' (the spec's precision), which system '{}' uses; found: {}",
                        excerpt(spec_.precision), user->id, known.empty() ? "none" : join(known)));
    }
  }
}

void SpecReader::read_sites(const Field& field) {
  for_each_entry(field, "site", true,
                 [&](const std::string& id, const Field& entry, SourceLocation at) { read_site(id, entry, at); });
}

// site: {ready: {planned, slip_days}, power_mw: [...], pue: >= 1, install_per_day: rate}.
void SpecReader::read_site(const std::string& id, const Field& field, SourceLocation at) {
  Site site;
  site.id = id;
  site.location = at;
  site.ready.planned = spec_.horizon.start;  // default: ready from the horizon start, no slip
  site.ready.location = at;
  if (const auto map = keyed_map(field, {"ready", "power_mw", "pue", "install_per_day"})) {
    if (const Field* f = map->find("ready")) {
      site.ready.location = f->where;
      if (const auto ready = keyed_map(*f, {"planned", "slip_days"})) {
        // A planned day before the horizon start counts as day 0.
        if (const auto planned = required(*ready, "planned")) {
          if (const auto day = read_date(*planned)) site.ready.planned = *day;
        }
        if (const Field* slip = ready->find("slip_days")) {
          if (const auto d = read_distribution(*slip, Use::signed_days)) site.ready.slip_days = *d;
        }
      }
    }
    if (const Field* f = map->find("power_mw")) read_power_steps(*f, site);
    if (const Field* f = map->find("pue")) {
      if (const auto pue = read_number_at_least(*f, 1.0, false)) site.pue = *pue;
    }
    if (const Field* f = map->find("install_per_day")) {
      site.install_limited = true;
      if (const auto d = read_distribution(*f, Use::install_rate)) site.install_per_day = *d;
    }
  }
  spec_.sites.push_back(std::move(site));
}

// power_mw: a non-empty list of {planned: date, add: MW >= 0, slip_days}.
void SpecReader::read_power_steps(const Field& field, Site& site) {
  site.power_limited = true;
  const auto items = read_list(field, "power steps {planned, add, slip_days}");
  if (!items) return;
  if (items->empty()) {
    error(field, "expected at least one power step (leave power_mw out for unlimited power)");
    return;
  }
  for (const Field& item : *items) {
    PowerStep step;
    step.location = item.where;
    if (const auto map = keyed_map(item, {"planned", "add", "slip_days"})) {
      if (const auto f = required(*map, "planned")) {
        if (const auto day = read_date(*f)) step.planned = *day;
      }
      if (const auto f = required(*map, "add")) {
        if (const auto mw = read_number_at_least(*f, 0.0, false)) step.add_mw = *mw;
      }
      if (const Field* f = map->find("slip_days")) {
        if (const auto d = read_distribution(*f, Use::signed_days)) step.slip_days = *d;
      }
    }
    site.power_mw.push_back(std::move(step));
  }
}

void SpecReader::read_tranches(const Field& field) {
  for_each_entry(field, "tranche", true,
                 [&](const std::string& id, const Field& entry, SourceLocation at) { read_tranche(id, entry, at); });
}

// tranche: {system, site, units, probability, delivery, burn_in_days, acceptance, rework_days, after}.
void SpecReader::read_tranche(const std::string& id, const Field& field, SourceLocation at) {
  Tranche tranche;
  tranche.id = id;
  tranche.location = at;
  const auto map = keyed_map(field, {"system", "site", "units", "probability", "delivery", "burn_in_days", "acceptance",
                                     "rework_days", "after"});
  if (map) {
    if (const auto f = required(*map, "system")) {
      if (const auto ref = read_text(*f)) {
        tranche.system = *ref;
        if (!spec_.find_system(*ref)) {
          std::vector<std::string> ids;
          for (const auto& s : spec_.systems) ids.push_back(s.id);
          error(*f, fmt::format("unknown system '{}'{}", excerpt(*ref), did_you_mean(*ref, ids)));
        }
      }
    }
    if (const auto f = required(*map, "site")) {
      if (const auto ref = read_text(*f)) {
        tranche.site = *ref;
        if (!spec_.find_site(*ref)) {
          std::vector<std::string> ids;
          for (const auto& s : spec_.sites) ids.push_back(s.id);
          error(*f, fmt::format("unknown site '{}'{}", excerpt(*ref), did_you_mean(*ref, ids)));
        }
      }
    }
    if (const auto f = required(*map, "units")) {
      if (const auto n = read_whole(*f, 0, kMaxUnits)) tranche.units = static_cast<std::int64_t>(*n);
    }
    if (const Field* f = map->find("probability")) {
      if (const auto p = read_probability(*f)) tranche.probability = *p;
    }
    if (const auto f = required(*map, "delivery")) read_delivery(*f, tranche);
    if (const Field* f = map->find("burn_in_days")) {
      if (const auto d = read_distribution(*f, Use::duration)) tranche.burn_in_days = *d;
    }
    if (const Field* f = map->find("acceptance")) {
      if (const auto d = read_distribution(*f, Use::unit_interval)) tranche.acceptance = *d;
    }
    if (const Field* f = map->find("rework_days")) {
      if (const auto d = read_distribution(*f, Use::duration)) tranche.rework_days = *d;
    }
    if (const Field* f = map->find("after")) {
      AfterList list{static_cast<int>(spec_.tranches.size()), *f, {}};
      if (!f->node.IsNull()) {  // `after:` with nothing is an empty list
        if (const auto items = read_list(*f, "tranche ids")) {
          for (const Field& item : *items) {
            if (const auto ref = read_text(item)) {
              tranche.after.push_back(*ref);
              list.entries.emplace_back(*ref, item);
            }
          }
        }
      }
      after_lists_.push_back(std::move(list));
    }
  }
  spec_.tranches.push_back(std::move(tranche));
}

// delivery: {planned: date (before the horizon start counts as day 0), slip_days, spread_days: whole >= 0}.
void SpecReader::read_delivery(const Field& field, Tranche& tranche) {
  const auto map = keyed_map(field, {"planned", "slip_days", "spread_days"});
  if (!map) return;
  if (const auto f = required(*map, "planned")) {
    if (const auto day = read_date(*f)) tranche.delivery_planned = *day;
  }
  if (const Field* f = map->find("slip_days")) {
    if (const auto d = read_distribution(*f, Use::signed_days)) tranche.delivery_slip_days = *d;
  }
  if (const Field* f = map->find("spread_days")) {
    if (const auto n = read_whole(*f, 0, kMaxSpreadDays)) tranche.spread_days = static_cast<int>(*n);
  }
}

// `after` entries must name other tranches, once each, without cycles.
void SpecReader::check_after() {
  std::vector<std::string> ids;
  for (const auto& t : spec_.tranches) ids.push_back(t.id);
  std::vector<std::vector<int>> waits_for(spec_.tranches.size());
  for (const AfterList& list : after_lists_) {
    const std::string& self = spec_.tranches[static_cast<std::size_t>(list.tranche)].id;
    std::unordered_set<std::string> seen;
    for (const auto& [ref, item] : list.entries) {
      const int target = spec_.tranche_index(ref);
      if (ref == self) {
        error(item, fmt::format("tranche '{}' cannot come after itself", excerpt(self)));
      } else if (target < 0) {
        error(item, fmt::format("unknown tranche '{}'{}", excerpt(ref), did_you_mean(ref, ids)));
      } else if (!seen.insert(ref).second) {
        error(item, fmt::format("tranche '{}' is listed twice", excerpt(ref)));
      } else {
        waits_for[static_cast<std::size_t>(list.tranche)].push_back(target);
      }
    }
  }
  // Depth-first search without recursion (specs may have many tranches); each
  // back edge closes one cycle, reported once.
  const std::size_t n = waits_for.size();
  std::vector<int> state(n, 0);  // 0 unvisited, 1 on the stack, 2 done
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(root), 0}};
    state[root] = 1;
    while (!stack.empty()) {
      const int u = stack.back().first;
      const std::size_t next = stack.back().second;
      const auto& edges = waits_for[static_cast<std::size_t>(u)];
      if (next == edges.size()) {
        state[static_cast<std::size_t>(u)] = 2;
        stack.pop_back();
        continue;
      }
      ++stack.back().second;
      const int v = edges[next];
      if (state[static_cast<std::size_t>(v)] == 0) {
        state[static_cast<std::size_t>(v)] = 1;
        stack.emplace_back(v, 0);
      } else if (state[static_cast<std::size_t>(v)] == 1) {
        std::vector<int> cycle;
        auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& frame) { return frame.first == v; });
        for (; it != stack.end(); ++it) cycle.push_back(it->first);
        report_after_cycle(cycle);
      }
    }
  }
}

// One error per cycle, at the `after` of its first tranche in spec order: "a -> b -> a".
void SpecReader::report_after_cycle(const std::vector<int>& cycle) {
  const std::size_t first = static_cast<std::size_t>(std::min_element(cycle.begin(), cycle.end()) - cycle.begin());
  std::vector<std::string> names;
  for (std::size_t k = 0; k <= cycle.size(); ++k) {
    names.push_back(spec_.tranches[static_cast<std::size_t>(cycle[(first + k) % cycle.size()])].id);
  }
  const int head = cycle[first];
  const auto list =
      std::find_if(after_lists_.begin(), after_lists_.end(), [&](const AfterList& l) { return l.tranche == head; });
  const SourceLocation at = list != after_lists_.end() ? list->field.where : SourceLocation{};
  error(at, "tranches." + names.front() + ".after",
        fmt::format("`after` forms a cycle, so none of these tranches could ever install: {}", join(names, " -> ")));
}

void SpecReader::read_risks(const Field& field) {
  for_each_entry(field, "risk", false,
                 [&](const std::string& id, const Field& entry, SourceLocation at) { read_risk(id, entry, at); });
}

// risk: {probability, delay_days (>= 0), power_factor (>= 0), applies_to: [targets]}.
// It needs delay_days or power_factor; tranche and power targets need delay_days;
// power_factor needs at least one site target.
void SpecReader::read_risk(const std::string& id, const Field& field, SourceLocation at) {
  Risk risk;
  risk.id = id;
  risk.location = at;
  const auto map = keyed_map(field, {"probability", "delay_days", "power_factor", "applies_to"});
  if (map) {
    if (const auto f = required(*map, "probability")) {
      if (const auto p = read_probability(*f)) risk.probability = *p;
    }
    if (const Field* f = map->find("delay_days")) {
      risk.has_delay = true;
      if (const auto d = read_distribution(*f, Use::duration)) risk.delay_days = *d;
    }
    if (const Field* f = map->find("power_factor")) {
      risk.has_power_factor = true;
      if (const auto d = read_distribution(*f, Use::factor)) risk.power_factor = *d;
    }
    if (!risk.has_delay && !risk.has_power_factor) {
      error(field, "a risk needs delay_days, power_factor or both");
    }
    if (const auto f = required(*map, "applies_to")) {
      if (const auto items = read_list(*f, "targets (tranche:<id>, site:<id>, power:<site>/<index>)")) {
        if (items->empty()) error(*f, "expected at least one target (tranche:<id>, site:<id>, power:<site>/<index>)");
        std::unordered_set<std::string> seen;
        bool has_site = false;
        for (const Field& item : *items) {
          const auto target = read_risk_target(item);
          if (!target) continue;
          if (!seen.insert(target->text()).second) {
            error(item, fmt::format("target '{}' is listed twice", target->text()));
            continue;
          }
          if (target->kind == RiskTarget::Kind::site) has_site = true;
          if (target->kind != RiskTarget::Kind::site && !risk.has_delay) {
            error(item, fmt::format("target '{}' needs the risk to have delay_days (power_factor applies only to "
                                    "site targets)",
                                    target->text()));
          }
          risk.applies_to.push_back(*target);
        }
        if (risk.has_power_factor && !has_site && !items->empty()) {
          error(*f, "a risk with power_factor needs at least one site:<id> target");
        }
      }
    }
  }
  spec_.risks.push_back(std::move(risk));
}

// "tranche:<id>", "site:<id>" or "power:<site>/<index>" (0-based index into the site's power_mw).
std::optional<RiskTarget> SpecReader::read_risk_target(const Field& field) {
  const auto text = read_text(field);
  if (!text) return std::nullopt;
  const std::size_t colon = text->find(':');
  const std::string kind = colon == std::string::npos ? std::string() : text->substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : text->substr(colon + 1);
  RiskTarget target;
  target.location = field.where;
  const auto unknown = [&](const char* what, const std::string& id, const std::vector<std::string>& ids) {
    error(field,
          fmt::format("unknown {} '{}' in target '{}'{}", what, excerpt(id), excerpt(*text), did_you_mean(id, ids)));
    return std::nullopt;
  };
  std::vector<std::string> site_ids;
  for (const auto& s : spec_.sites) site_ids.push_back(s.id);
  if (kind == "tranche") {
    std::vector<std::string> ids;
    for (const auto& t : spec_.tranches) ids.push_back(t.id);
    if (!spec_.find_tranche(rest)) return unknown("tranche", rest, ids);
    target.kind = RiskTarget::Kind::tranche;
    target.id = rest;
    return target;
  }
  if (kind == "site") {
    if (!spec_.find_site(rest)) return unknown("site", rest, site_ids);
    target.kind = RiskTarget::Kind::site;
    target.id = rest;
    return target;
  }
  if (kind == "power") {
    const std::size_t slash = rest.rfind('/');
    const std::string site_id = slash == std::string::npos ? rest : rest.substr(0, slash);
    const std::string index_text = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    const Site* site = spec_.find_site(site_id);
    if (!site) return unknown("site", site_id, site_ids);
    if (!is_plain_digits(index_text) || index_text.size() > 9) {
      error(field, fmt::format("expected power:<site>/<index> with a 0-based index, found '{}'", excerpt(*text)));
      return std::nullopt;
    }
    const int index = std::stoi(index_text);
    if (static_cast<std::size_t>(index) >= site->power_mw.size()) {
      error(field, site->power_mw.empty()
                       ? fmt::format("site '{}' has no power_mw steps, so '{}' does not exist", site_id, excerpt(*text))
                       : fmt::format("power step index {} is out of range: site '{}' has power steps 0 .. {}", index,
                                     site_id, site->power_mw.size() - 1));
      return std::nullopt;
    }
    target.kind = RiskTarget::Kind::power;
    target.id = site_id;
    target.power_index = index;
    return target;
  }
  error(field,
        fmt::format("expected tranche:<id>, site:<id> or power:<site>/<index>, found '{}'{}", excerpt(*text),
                    colon == std::string::npos ? std::string() : did_you_mean(kind, {"tranche", "site", "power"})));
  return std::nullopt;
}

// operations: {failures_per_accelerator_day: >= 0, repair_days: duration, utilization: fraction}.
void SpecReader::read_operations(const Field& field) {
  const auto map = keyed_map(field, {"failures_per_accelerator_day", "repair_days", "utilization"});
  if (!map) return;
  if (const Field* f = map->find("failures_per_accelerator_day")) {
    if (const auto rate = read_number_at_least(*f, 0.0, false)) spec_.operations.failures_per_accelerator_day = *rate;
  }
  if (const Field* f = map->find("repair_days")) {
    if (const auto d = read_distribution(*f, Use::duration)) spec_.operations.repair_days = *d;
  }
  if (const Field* f = map->find("utilization")) {
    if (const auto d = read_distribution(*f, Use::unit_interval)) spec_.operations.utilization = *d;
  }
}

// report: {every: day | week | month | [dates], quantiles: [ascending, distinct, in (0, 1)]}.
void SpecReader::read_report(const Field& field) {
  const auto map = keyed_map(field, {"every", "quantiles"});
  if (!map) return;
  if (const Field* f = map->find("every")) {
    if (f->node.IsScalar()) {
      const std::string& every = f->node.Scalar();
      if (every == "day") {
        spec_.report.every = Report::Every::day;
      } else if (every == "week") {
        spec_.report.every = Report::Every::week;
      } else if (every == "month") {
        spec_.report.every = Report::Every::month;
      } else {
        error(*f, fmt::format("expected day, week, month or a list of dates, found '{}'{}", excerpt(every),
                              did_you_mean(every, {"day", "week", "month"})));
      }
    } else if (const auto items = read_list(*f, "report dates (or day, week, month)")) {
      spec_.report.every = Report::Every::dates;
      if (items->empty()) error(*f, "expected at least one report date");
      for (const Field& item : *items) {
        const auto day = read_date_in_horizon(item);
        if (!day) continue;
        if (!spec_.report.dates.empty() && *day <= spec_.report.dates.back()) {
          error(item, fmt::format("report dates must be ascending without repeats: {} follows {}", format_date(*day),
                                  format_date(spec_.report.dates.back())));
          continue;
        }
        spec_.report.dates.push_back(*day);
      }
    }
  }
  if (const Field* f = map->find("quantiles")) {
    if (const auto items = read_list(*f, "quantiles in (0, 1)")) {
      spec_.report.quantiles.clear();
      if (items->empty()) error(*f, "expected at least one quantile");
      for (const Field& item : *items) {
        const auto q = read_number(item);
        if (!q) continue;
        if (!(*q > 0.0 && *q < 1.0)) {
          error(item, fmt::format("expected a quantile strictly between 0 and 1, found {}", *q));
          continue;
        }
        if (!spec_.report.quantiles.empty() && *q <= spec_.report.quantiles.back()) {
          error(item, fmt::format("quantiles must be ascending without repeats: {} follows {}", *q,
                                  spec_.report.quantiles.back()));
          continue;
        }
        spec_.report.quantiles.push_back(*q);
      }
    }
  }
}

// targets: id -> {metric: a metric name, date: inside the horizon, at_least: number}.
void SpecReader::read_targets(const Field& field) {
  for_each_entry(field, "target", false, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Target target;
    target.id = id;
    target.location = at;
    if (const auto map = keyed_map(entry, {"metric", "date", "at_least"})) {
      if (const auto f = required(*map, "metric")) {
        if (const auto metric = read_text(*f)) {
          target.metric = *metric;
          const auto& names = metric_names();
          if (std::find(names.begin(), names.end(), *metric) == names.end()) {
            const auto best = closest(*metric, names);
            error(*f, best ? fmt::format("unknown metric '{}' (did you mean '{}'?)", excerpt(*metric), *best)
                           : fmt::format("unknown metric '{}'; expected one of: {}", excerpt(*metric), join(names)));
          }
        }
      }
      if (const auto f = required(*map, "date")) {
        if (const auto day = read_date_in_horizon(*f)) target.date = *day;
      }
      if (const auto f = required(*map, "at_least")) {
        if (const auto value = read_number(*f)) target.at_least = *value;
      }
    }
    spec_.targets.push_back(std::move(target));
  });
}

// correlations: a list of groups. When every group is well formed, the combined
// matrix must be reachable (positive definite) and no pair may get two values.
void SpecReader::read_correlations(const Field& field) {
  if (field.node.IsNull()) return;
  const auto items = read_list(field, "correlation groups {variables, rank_correlation}");
  if (!items) return;
  const std::vector<std::string> names = sampled_quantity_names(spec_);
  bool all_ok = true;
  for (const Field& item : *items) {
    Correlation correlation;
    correlation.location = item.where;
    all_ok = read_correlation(item, names, correlation) && all_ok;
    spec_.correlations.push_back(std::move(correlation));
  }
  if (!all_ok) return;
  CorrelationModel model;
  for (const CorrelationProblem& problem : build_correlation_model(spec_, model)) {
    const std::size_t i = static_cast<std::size_t>(std::max(problem.correlation_index, 0));
    if (i < items->size()) {
      error((*items)[i], problem.message);
    } else {
      error(field, problem.message);
    }
  }
}

// One group: {variables: [>= 2 distinct quantity names], rank_correlation: in (-1, 1)}.
// Returns whether it is well formed.
bool SpecReader::read_correlation(const Field& item, const std::vector<std::string>& names, Correlation& correlation) {
  const auto map = keyed_map(item, {"variables", "rank_correlation"});
  if (!map) return false;
  bool ok = true;
  const auto variables_field = required(*map, "variables");
  const auto variables = variables_field ? read_list(*variables_field, "quantity names") : std::nullopt;
  if (variables) {
    for (const Field& v : *variables) {
      const auto name = read_text(v);
      if (!name) {
        ok = false;
      } else if (std::find(names.begin(), names.end(), *name) == names.end()) {
        error(v, fmt::format("unknown quantity '{}'{}", excerpt(*name), did_you_mean(*name, names)));
        ok = false;
      } else if (std::find(correlation.variables.begin(), correlation.variables.end(), *name) !=
                 correlation.variables.end()) {
        error(v, fmt::format("quantity '{}' is listed twice", *name));
        ok = false;
      } else {
        correlation.variables.push_back(*name);
      }
    }
    if (ok && correlation.variables.size() < 2) {
      error(*variables_field,
            fmt::format("expected at least 2 distinct quantities, found {}", correlation.variables.size()));
      ok = false;
    }
  } else {
    ok = false;
  }
  const auto r_field = required(*map, "rank_correlation");
  const auto r = read_number(r_field);
  if (!r) return false;
  if (!(*r > -1.0 && *r < 1.0)) {
    error(*r_field, fmt::format("expected a rank correlation strictly between -1 and 1, found {}", *r));
    return false;
  }
  correlation.rank_correlation = *r;
  return ok;
}

}  // namespace

Spec load_spec_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  if (const auto problem = read_text_file(path, "spec file", text, kMaxSpecFileBytes)) {
    throw SpecError({Diagnostic{path, 0, 0, "", *problem}});
  }
  return load_spec_text(text, path, overrides);
}

Spec load_spec_text(const std::string& text, const std::string& file_name, const std::vector<std::string>& overrides) {
  Spec spec;
  spec.source_file = file_name;
  SpecReader reader(file_name, spec);
  reader.load(text, overrides);
  std::vector<Diagnostic> diagnostics = reader.diagnostics();
  if (!diagnostics.empty()) throw SpecError(std::move(diagnostics));
  return spec;
}

}  // namespace capplan

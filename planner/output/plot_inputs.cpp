#include "planner/output/plot_inputs.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "planner/base/errors.h"
#include "planner/base/text_file.h"

namespace capplan::plots {

namespace {

namespace fs = std::filesystem;

// A run's tables are capplan's own output and are read whole, without a size cap.
constexpr std::size_t kNoSizeCap = std::numeric_limits<std::size_t>::max();

fs::path require_file(const fs::path& dir, const std::string& name) {
  const fs::path path = dir / name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw UsageError(path.string() + " not found: " + dir.string() +
                     " is not a complete capplan output folder (re-run `capplan run SPEC --out " + dir.string() +
                     "` with this version)");
  }
  return path;
}

// The whole of a file that exists; RuntimeFailure if it cannot be read.
std::string read_existing(const fs::path& path, const std::string& what) {
  std::string text;
  if (const auto problem = read_text_file(path.string(), what, text, kNoSizeCap)) {
    throw RuntimeFailure(path.string() + ": " + *problem);
  }
  return text;
}

bool is_quantile_column(const std::string& name) {
  if (name.size() < 2 || name[0] != 'p') return false;
  bool digit = false;
  for (std::size_t i = 1; i < name.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(name[i]))) {
      digit = true;
    } else if (name[i] != '.') {
      return false;
    }
  }
  return digit;
}

// The drivers of `output` at the latest date in sensitivity.csv (none if the file is absent).
std::optional<Drivers> load_drivers_of(const fs::path& dir, const std::string& output) {
  const std::optional<CsvTable> table = load_optional_table(dir, "sensitivity.csv");
  if (!table) return std::nullopt;
  const CsvTable& t = *table;
  const std::size_t c_output = t.column("output"), c_date = t.column("date"), c_input = t.column("input"),
                    c_s = t.column("spearman"), c_ve = t.column("variance_explained"),
                    c_cv = t.column("contribution_to_variance");
  Drivers d;
  d.output = output;
  for (std::size_t r = 0; r < t.rows().size(); ++r) {
    if (t.rows()[r][c_output] == output) d.date = std::max(d.date, t.rows()[r][c_date]);
  }
  for (std::size_t r = 0; r < t.rows().size(); ++r) {
    if (t.rows()[r][c_output] != output || t.rows()[r][c_date] != d.date) continue;
    d.rows.push_back({t.rows()[r][c_input], t.number(r, c_s), t.number(r, c_ve), t.number(r, c_cv)});
  }
  if (d.rows.empty()) return std::nullopt;
  std::stable_sort(d.rows.begin(), d.rows.end(), [](const DriverEntry& a, const DriverEntry& b) {
    return std::fabs(a.spearman) > std::fabs(b.spearman);
  });
  return d;
}

fs::path existing_folder(const fs::path& dir) {
  require_folder(dir);
  return dir;
}

// Where a dated outcome's cells are in tranches.csv or milestones.csv.
class OutcomeColumns {
 public:
  OutcomeColumns(const CsvTable& t, const std::string& name_column, const std::string& probability_column)
      : q_(quantile_columns(t)),
        name_(t.column(name_column)),
        probability_(t.column(probability_column)),
        ci_lo_(t.column("probability_ci_lo")),
        ci_hi_(t.column("probability_ci_hi")),
        low_(t.column(q_.low)),
        high_(t.column(q_.high)),
        mid_(q_.mid.empty() ? 0 : t.column(q_.mid)) {}

  void read(const CsvTable& t, std::size_t r, OutcomeDates& row) const {
    row.name = t.rows()[r][name_];
    row.probability = t.number(r, probability_);
    row.ci_lo = t.number(r, ci_lo_);
    row.ci_hi = t.number(r, ci_hi_);
    row.low = t.rows()[r][low_];
    row.high = t.rows()[r][high_];
    row.mid = q_.mid.empty() ? std::string() : t.rows()[r][mid_];
  }

 private:
  QuantileColumns q_;
  std::size_t name_, probability_, ci_lo_, ci_hi_, low_, high_, mid_;
};

}  // namespace

const char* const kTotalScope = "total";
const char* const kLargestSiteScope = "largest-site";

bool is_scope_of(const std::string& scope, const std::string& kind) {
  return scope.size() > kind.size() && scope.compare(0, kind.size(), kind) == 0 && scope[kind.size()] == ':';
}

std::string scope_id(const std::string& scope) { return scope.substr(scope.find(':') + 1); }

void require_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw UsageError("output folder " + dir.string() + " does not exist; write it first with `capplan run SPEC --out " +
                     dir.string() + "`");
  }
}

CsvTable load_table(const fs::path& dir, const std::string& name) {
  const fs::path path = require_file(dir, name);
  return CsvTable(path.string(), read_existing(path, "run table"));
}

std::optional<CsvTable> load_optional_table(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / name, ec)) return std::nullopt;
  return load_table(dir, name);
}

RunFacts load_run(const fs::path& dir) {
  const fs::path path = require_file(dir, "run.json");
  RunFacts facts;
  try {
    const auto json = nlohmann::json::parse(read_existing(path, "run record"));
    facts.name = json.at("spec").at("name").get<std::string>();
    facts.trials = json.at("trials").get<std::uint64_t>();
    facts.seed = json.at("seed").get<std::uint64_t>();
    facts.tool_version = json.value("tool_version", std::string("?"));
    facts.git_revision = json.value("git_revision", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path.string() + ": not a capplan run record: " + e.what());
  }
  return facts;
}

QuantileColumns quantile_columns(const CsvTable& table) {
  std::vector<std::string> found;
  for (const auto& name : table.header()) {
    if (is_quantile_column(name)) found.push_back(name);
  }
  if (found.empty()) throw UsageError(table.file() + ": no quantile columns (p10, p50, ...) in the header");
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return QuantileColumns::percent(a) < QuantileColumns::percent(b);
  });
  QuantileColumns q;
  q.low = found.front();
  q.high = found.back();
  if (table.has("p50")) q.mid = "p50";
  return q;
}

Series metric_series(const CsvTable& forecast, const QuantileColumns& q, const std::string& metric,
                     const std::string& scope) {
  const std::size_t c_date = forecast.column("date"), c_metric = forecast.column("metric"),
                    c_mean = forecast.column("mean"), c_low = forecast.column(q.low), c_high = forecast.column(q.high);
  const bool has_mid = !q.mid.empty(), totals = scope == kTotalScope;
  const std::size_t c_mid = has_mid ? forecast.column(q.mid) : 0, c_scope = totals ? 0 : forecast.column("scope");
  Series s;
  for (std::size_t r = 0; r < forecast.rows().size(); ++r) {
    if (forecast.rows()[r][c_metric] != metric || (!totals && forecast.rows()[r][c_scope] != scope)) continue;
    s.dates.push_back(forecast.date(r, c_date));
    s.mean.push_back(forecast.number(r, c_mean));
    s.low.push_back(forecast.number(r, c_low));
    s.high.push_back(forecast.number(r, c_high));
    s.mid.push_back(has_mid ? forecast.number(r, c_mid) : 0.0);
  }
  if (s.dates.empty()) {
    throw UsageError(forecast.file() + ": no rows for metric " + metric + (totals ? "" : " in scope " + scope));
  }
  return s;
}

const std::vector<double>& central_values(const Series& s, const QuantileColumns& q) {
  return q.mid.empty() ? s.mean : s.mid;
}

std::string central_column(const QuantileColumns& q) { return q.mid.empty() ? "mean" : q.mid; }

std::vector<std::string> scopes_of(const CsvTable& forecast_by) {
  const std::size_t c_scope = forecast_by.column("scope");
  std::vector<std::string> scopes;
  for (const auto& row : forecast_by.rows()) {
    if (std::find(scopes.begin(), scopes.end(), row[c_scope]) == scopes.end()) scopes.push_back(row[c_scope]);
  }
  return scopes;
}

std::vector<TargetRow> load_targets(const CsvTable& t) {
  const std::size_t c_name = t.column("target"), c_metric = t.column("metric"), c_date = t.column("date"),
                    c_threshold = t.column("threshold"), c_p = t.column("probability"), c_lo = t.column("ci_lo"),
                    c_hi = t.column("ci_hi");
  const bool scoped = t.has("scope");
  const std::size_t c_scope = scoped ? t.column("scope") : 0;
  std::vector<TargetRow> out;
  for (std::size_t r = 0; r < t.rows().size(); ++r) {
    TargetRow row;
    row.name = t.rows()[r][c_name];
    row.metric = t.rows()[r][c_metric];
    row.scope = scoped ? t.rows()[r][c_scope] : kTotalScope;
    row.date = t.date(r, c_date);
    row.threshold = t.number(r, c_threshold);
    row.probability = t.number(r, c_p);
    row.ci_lo = t.number(r, c_lo);
    row.ci_hi = t.number(r, c_hi);
    out.push_back(row);
  }
  return out;
}

std::vector<TrancheRow> load_tranches(const CsvTable& t) {
  const OutcomeColumns outcome(t, "tranche", "probability_complete");
  const std::size_t c_units = t.column("units"), c_crit = t.column("criticality");
  std::vector<TrancheRow> out;
  for (std::size_t r = 0; r < t.rows().size(); ++r) {
    TrancheRow row;
    outcome.read(t, r, row);
    row.units = t.rows()[r][c_units];
    row.criticality = t.number(r, c_crit);
    out.push_back(row);
  }
  return out;
}

std::vector<MilestoneRow> load_milestones(const CsvTable& t) {
  const OutcomeColumns outcome(t, "milestone", "probability_reached");
  const std::size_t c_metric = t.column("metric"), c_scope = t.column("scope"), c_threshold = t.column("threshold");
  std::vector<MilestoneRow> out;
  for (std::size_t r = 0; r < t.rows().size(); ++r) {
    MilestoneRow row;
    outcome.read(t, r, row);
    row.metric = t.rows()[r][c_metric];
    row.scope = t.rows()[r][c_scope];
    row.threshold = t.number(r, c_threshold);
    out.push_back(row);
  }
  return out;
}

std::optional<Drivers> load_drivers(const fs::path& dir) {
  if (auto drivers = load_drivers_of(dir, "available_accelerators")) return drivers;
  return load_drivers_of(dir, "delivered_flop_e24");
}

RunFolder::RunFolder(const fs::path& folder)
    : dir(existing_folder(folder)),
      run(load_run(dir)),
      forecast(load_table(dir, "forecast.csv")),
      forecast_quantiles(quantile_columns(forecast)),
      targets(load_targets(load_table(dir, "targets.csv"))),
      forecast_by(load_optional_table(dir, "forecast_by.csv")),
      drivers(load_drivers(dir)) {
  const CsvTable tranche_table = load_table(dir, "tranches.csv");
  tranche_quantiles = quantile_columns(tranche_table);
  tranches = load_tranches(tranche_table);
  if (forecast_by) scopes = scopes_of(*forecast_by);
  if (const std::optional<CsvTable> milestone_table = load_optional_table(dir, "milestones.csv")) {
    milestone_quantiles = quantile_columns(*milestone_table);
    milestones = load_milestones(*milestone_table);
  }
}

}  // namespace capplan::plots

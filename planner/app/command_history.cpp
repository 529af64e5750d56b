// capplan history: the ledger's runs over time, or two runs side by side.
#include <sys/stat.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/parallel.h"
#include "planner/base/printable.h"
#include "planner/ledger/history_plot.h"
#include "planner/ledger/ledger.h"

namespace capplan {

namespace {

// The ledger to read: it must exist, since reading never creates one.
std::string existing_ledger(const std::optional<std::string>& option) {
  const std::optional<std::string> path = ledger_path(option);
  if (!path) throw UsageError("history reads a ledger: give --ledger FILE or set CAPPLAN_LEDGER");
  struct stat info {};
  if (::stat(path->c_str(), &info) != 0) throw UsageError("no ledger at " + printable(*path));
  return *path;
}

LedgerRun recorded_run(const Ledger& ledger, std::int64_t id) {
  std::optional<LedgerRun> run = ledger.run(id);
  if (!run) {
    throw UsageError(fmt::format("no run {} in the ledger {} (it holds {} runs)", id, printable(ledger.path()),
                                 ledger.runs().size()));
  }
  return std::move(*run);
}

// Why there are no rows, for a reader at a terminal.
std::string nothing_to_show(const std::vector<LedgerRun>& runs, const HistoryFilter& filter,
                            const std::string& ledger) {
  return fmt::format("No runs to show: the ledger {} holds {} runs and none of them matches{}.\n", printable(ledger),
                     runs.size(), filter.all ? "" : " (without --all only run and check runs count)");
}

}  // namespace

HistoryOutcome history_command(const HistoryRequest& request) {
  HistoryOutcome outcome;
  if (!Communicator::world().is_root()) return outcome;
  const std::string path = existing_ledger(request.ledger);
  const Ledger ledger(path);
  if (request.runs) {
    const LedgerRun a = recorded_run(ledger, request.runs->first), b = recorded_run(ledger, request.runs->second);
    outcome.report = format_table(run_differences(a, b), request.format);
    return outcome;
  }
  const std::vector<LedgerRun> runs = ledger.runs_with_targets();
  check_history_names(runs, request.filter, path);
  const std::vector<HistoryRow> rows = history_rows(runs, request.filter);
  if (!request.plot_dir.empty()) write_history_plots(request.plot_dir, rows, path);
  const bool for_reading = request.format == TableFormat::kTable || request.format == TableFormat::kMarkdown;
  outcome.report = rows.empty() && for_reading ? nothing_to_show(runs, request.filter, path)
                                               : format_table(history_table(rows), request.format);
  if (!request.plot_dir.empty() && request.format == TableFormat::kTable) {
    outcome.report += "\nWrote the charts, history.md and history.csv in " + request.plot_dir + "\n";
  }
  return outcome;
}

}  // namespace capplan

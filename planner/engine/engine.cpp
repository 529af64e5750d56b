#include "planner/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "planner/base/failure.h"

namespace capplan {

Simulation simulate(const Spec& spec, const CompiledModel& model, const RunOptions& options,
                    const Communicator& communicator, const std::optional<PrecisionGoal>& goal, std::ostream* log) {
  Simulation out;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<TrialRunner> runner;
  on_every_rank(communicator, [&] {
    inject_rank_failure(communicator);
    runner = std::make_unique<TrialRunner>(model, options);
  });
  if (log && communicator.is_root()) {
    *log << fmt::format("capplan: {} backend: {}{}\n", backend_name(runner->backend()), runner->device(),
                        communicator.size() > 1 ? fmt::format(" (rank 0 of {})", communicator.size()) : "");
  }
  std::uint64_t done = 0, next = options.trials;
  if (goal) {
    out.precision.emplace();
    out.precision->requested = goal->relative;
    out.precision->max_trials = std::max(goal->max_trials, options.trials);
  }
  while (true) {
    on_every_rank(communicator, [&] { runner->run_range(done, next, options); });
    done = next;
    // A run to a precision keeps this rank's own counts for the next round and
    // reduces a copy; otherwise the counts are reduced in place (no second copy
    // of the histograms).
    out.statistics = goal ? std::make_unique<ForecastStatistics>(runner->statistics())
                          : std::make_unique<ForecastStatistics>(std::move(runner->statistics()));
    out.statistics->reduce_to_root(communicator);
    if (!goal) break;
    bool stop = false;
    if (communicator.is_root()) {
      out.precision->assessment = assess_precision(spec, model, *out.statistics, goal->relative);
      stop = out.precision->assessment.met || done >= out.precision->max_trials;
    }
    if (communicator.broadcast_flag(stop)) break;
    next = std::min<std::uint64_t>(out.precision->max_trials, 2 * done);
  }
  out.drivers = std::move(runner->drivers());
  out.drivers.gather_to_root(communicator);
  out.trials = done;
  if (out.precision) out.precision->trials_used = done;
  out.backend = runner->backend();
  out.device = runner->device();
  out.threads = runner->threads();
  out.batch_trials = runner->batch_capacity();
  out.simulate_seconds = communicator.size() > 1
                             ? std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                             : runner->simulate_seconds();
  return out;
}

nlohmann::ordered_json gather_processes(const Simulation& simulation, const Communicator& communicator) {
  const nlohmann::ordered_json process = {{"rank", communicator.rank()},
                                          {"host", communicator.processor_name()},
                                          {"backend", backend_name(simulation.backend)},
                                          {"device", simulation.device},
                                          {"threads", simulation.threads}};
  nlohmann::ordered_json processes = nlohmann::ordered_json::array();
  for (const std::string& text : communicator.gather_to_root(process.dump())) {
    processes.push_back(nlohmann::ordered_json::parse(text));
  }
  return processes;
}

}  // namespace capplan

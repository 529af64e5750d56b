// The limits capplan puts on its inputs, in one place: the spec loader
// enforces them, the JSON Schema (capplan schema) publishes them, and the
// run engine checks options against them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace capplan {

// Trials per run: trial numbers key 32-bit counters, so at most 2^32 - 1.
constexpr std::uint64_t kMaxTrials = 4'294'967'295u;
// CPU threads a run may ask for (--threads): more than any machine has cores,
// few enough that starting them cannot exhaust the process.
constexpr int kMaxThreads = 1024;
constexpr std::uint64_t kMaxSeed = std::numeric_limits<std::uint64_t>::max();
// Relative half-width a run to a precision may ask for (--precision), as a
// fraction: from 0.001% (finer needs far more than kMaxTrials trials) to 50%
// (coarser says nothing about a quantile).
constexpr double kMinPrecision = 1e-5;
constexpr double kMaxPrecision = 0.5;
// False-alarm level of a regression check (--sigmas), in standard errors: above
// 0, at most 100 (beyond that no cell could ever fail).
constexpr double kMaxSigmas = 100.0;
// A spec file is read whole; larger files are refused before parsing [bytes].
// yaml-cpp scans scalar text at about 2 s per MiB on the 2-core CI machine
// (a spec is parsed twice: the node count, then the tree), so 16 MiB of long
// values took 6 to 8 s to validate; at 8 MiB the worst file takes about 4 s
// (docs/reliability.md, "Bounded work"). The largest shipped spec,
// bench-large (200 tranches), is 91 KiB.
constexpr std::size_t kMaxSpecFileBytes = std::size_t(8) << 20;
// A baseline's trial count (capplan check re-runs that many trials) is
// 1 .. kMaxTrials, and every count it stores (quantile ranks, target hits,
// completed tranches) is at most its trial count.
// A baseline file (capplan check) is read whole; larger files are refused
// [bytes]. The reference's baseline (3,626 cells) is 485 KiB; a JSON value
// takes up to 25 times its text in memory (a list of small objects), so 16 MiB
// of it is at most about 0.4 GiB and a few seconds to read.
constexpr std::size_t kMaxBaselineFileBytes = std::size_t(16) << 20;
// Arrays and objects nested in a baseline file, checked while parsing: a
// baseline nests 4 levels (document, forecast list, cell, rank pair), and
// printing or comparing a value recurses once per level, so a file of deeply
// nested brackets overflowed the stack (about 65,000 levels, a 130 kB file).
constexpr int kMaxBaselineNesting = 32;
// YAML values (scalars, sequences, maps) in a spec, counted by an event parse
// before the tree is built. bench-large, the largest shipped spec, has about
// 20,000 (about 100 per tranche). A yaml-cpp tree takes about 0.5 KiB per
// value, and 500,000 values of the worst kind (a list of empty tranches, each
// reported missing its four required keys) validate in about 5 s and 0.4 GiB.
constexpr std::size_t kMaxSpecNodes = 500'000;
constexpr std::int64_t kMaxHorizonDays = 36525;     // 100 years
constexpr std::uint64_t kMaxUnits = 1'000'000'000;  // systems per tranche
constexpr std::uint64_t kMaxAcceleratorsPerSystem = 1'000'000;
// A beta {mean, sd} has alpha + beta = mean (1 - mean) / sd^2 - 1; above this the
// quantile table's inverse incomplete beta takes unbounded time (1e8: about 0.1 s).
constexpr double kMaxBetaConcentration = 1e8;
constexpr std::uint64_t kMaxSpreadDays = 100'000;
// Memory budgets of a run, per process [bytes]: the parts of a run's memory
// that grow with the model (docs/reliability.md, "Bounded work for every
// input"). A compiled model is checked against the first four before anything
// of that size is allocated (capplan validate checks them too).
//
// The record cells' histograms, once for the totals and once for the
// breakdowns and scoped targets: the resolution is lowered (down to 6 bits,
// 1.6% wide bins) until they fit, and a model that does not fit even then is
// refused. At the coarsest resolution a record row of 8 metrics takes at least
// 39 KiB, so 1 GiB holds about 27,000 rows (a daily report of 74 years).
constexpr std::size_t kHistogramBudgetBytes = std::size_t(1) << 30;
// Completion-day counters: (tranches + milestones) x (horizon days + 1) x 8.
// Every day is a possible answer, so they cannot be coarsened: 512 MiB is
// about 67 million outcome-days (1,800 tranches over 100 years).
constexpr std::size_t kCompletionCounterBudgetBytes = std::size_t(512) << 20;
// Trials in the smallest batch the run driver simulates at once (when one
// trial's record is large; smaller records get more, up to 64 MiB of buffers).
constexpr std::int64_t kMinBatchTrials = 256;
// The records of the smallest batch: kMinBatchTrials x (record rows x scope
// blocks x 8 metrics x 8 + outcomes x 4); 512 MiB allows one trial 2 MiB,
// 32,768 record rows over all scope blocks.
constexpr std::size_t kBatchRecordBudgetBytes = std::size_t(512) << 20;
// The working memory of the CPU threads, one trial's workspace each (mostly
// (site, system) fleets x horizon days of 4-byte counts): a model whose one
// workspace exceeds it is refused; a run uses at most as many threads as fit
// (all cores by default: fewer; more with --threads: refused).
constexpr std::size_t kWorkspaceBudgetBytes = std::size_t(512) << 20;
// The driver analysis's sample: min(--drivers-sample, trials) x (sampled
// quantities + 3) x 8 (each kept trial's inputs, two outputs and its number);
// a run asking for more is refused.
constexpr std::size_t kDriverSampleBudgetBytes = std::size_t(512) << 20;
// Points of one `capplan sweep` (the product of its --vary options' values):
// each is a whole simulation; `capplan solve` searches longer ranges.
constexpr std::uint64_t kMaxSweepPoints = 10'000;

}  // namespace capplan

// The per-trial aggregation of the forecast statistics, written once for every
// backend: what one trial's record and completion days add to the counters of
// ForecastStatistics (planner/engine/statistics.h). Per (record row, metric) cell:
// the histogram bin hdr_bin_index(cell_quantize()), the fixed-point sum
// cell_fixed_point(), the minimum and the maximum; per tranche: the
// completion-day bin and criticality; per target: a hit. Every update is an
// integer addition or a min/max, so the counters do not depend on the order in
// which trials arrive (threads, warps, batches, backends, ranks).
//
// How a counter is updated is left to a sink, a template parameter:
//  * PlainSink (below): one trial at a time, into counters that the calling
//    thread owns (the CPU: ForecastStatistics::add()); minima and maxima are
//    doubles.
//  * WarpSink (kernels/warp_sink.h): the 32 lanes of a GPU warp, one trial
//    each, merged into few atomic updates; minima and maxima are order keys.
// Both give the same counters (tests/test_aggregate.cpp).
//
// A sink `s` provides (E = Sink::Extremum, how a minimum or maximum is stored):
//   s.active()                     this lane holds a trial (plain: always)
//   s.uniform(v)                   n > 0 when all n active lanes hold v, bit
//                                  for bit; else 0 (plain: 1, one trial)
//   s.add_uniform(c, x)            *c += x once for the lanes (x counts all n)
//   s.min_uniform(m, v), s.max_uniform(m, v)   the lanes' common v, once
//   s.count(table, i)              table[i] += 1 for each active lane, own i
//   s.add(c, x)                    *c += x for each active lane, own x
//   s.minimum(m, v), s.maximum(m, v)           each active lane's own v
//   s.count_if(c, yes)             *c += 1 for each active lane with yes
// A NaN never becomes a minimum or maximum, in either sink.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/histogram.h"
#include "kernels/metrics.h"
#include "kernels/model.h"

namespace capplan {

// A target: the record cell it reads (row x kMetricCount + metric) and the
// value it must reach.
struct TargetCell {
  std::uint64_t cell = 0;
  double threshold = 0.0;
};

// Element counts of the counter arrays.
struct CounterSizes {
  std::uint64_t bins = 0;        // all cells' histograms
  std::uint64_t cells = 0;       // record rows x kMetricCount: sums, minima, maxima
  std::uint64_t completion = 0;  // (tranches + milestones) x (days + 1)
  std::uint64_t targets = 0;     // target hits
  std::uint64_t tranches = 0;    // criticality
};

inline bool same_sizes(const CounterSizes& a, const CounterSizes& b) {
  return a.bins == b.bins && a.cells == b.cells && a.completion == b.completion && a.targets == b.targets &&
         a.tranches == b.tranches;
}

// How a trial's record turns into counter updates (host or device pointers).
struct CounterLayout {
  CounterSizes sizes;
  const CellLayout* cells = nullptr;    // [sizes.cells]
  const TargetCell* targets = nullptr;  // [sizes.targets]
};

// Where the counters are (host or device pointers); minima and maxima are
// stored as the sink's Extremum.
template <class Extremum>
struct BasicCounterView {
  CounterSizes sizes;
  std::uint64_t* bins = nullptr;         // cell histograms, each at its CellLayout::bin_offset
  std::uint64_t* sums = nullptr;         // [cells] fixed-point sums
  Extremum* minima = nullptr;            // [cells]
  Extremum* maxima = nullptr;            // [cells]
  std::uint64_t* completion = nullptr;   // [tranche, then milestone][days + 1]; the last bin is "not
                                         // within the horizon"
  std::uint64_t* target_hits = nullptr;  // [targets]
  std::uint64_t* critical = nullptr;     // [tranches]: trials in which it is among its site's last to complete
};
// The host layout of ForecastStatistics (StatisticsCounters): doubles.
using CounterView = BasicCounterView<double>;

// One cell's counters.
template <class Extremum>
struct CellCounters {
  std::uint64_t* bins;  // all cells' histograms (this cell's start at CellLayout::bin_offset)
  std::uint64_t* sum;
  Extremum* minimum;
  Extremum* maximum;
};

// One trial into counters the calling thread owns: plain additions, no atomics.
//  * -0.0 never arrives: aggregate_cell() maps it to +0.0 first, so a minimum
//    or maximum of zeros is +0.0 (never printed "-0") whatever the order.
//  * NaN never becomes a minimum or maximum: min/max keep the counter when the
//    comparison with NaN is false (as std::min(m, v) and std::max(m, v) do).
//    Its bin is 0 and it adds 0 to the sum (cell_quantize, cell_fixed_point).
//  * +-infinity are ordered as usual: +inf becomes a maximum, -inf a minimum;
//    +inf bins at the top (max_x) and adds the cell's largest addend, -inf
//    bins at 0 and adds 0.
// No value converts out of range to an integer (kernels/histogram.h).
struct PlainSink {
  using Extremum = double;

  CAPPLAN_HD_INLINE bool active() const { return true; }
  CAPPLAN_HD_INLINE unsigned uniform(double) const { return 1; }
  CAPPLAN_HD_INLINE void add_uniform(std::uint64_t* counter, std::uint64_t x) const { *counter += x; }
  CAPPLAN_HD_INLINE void min_uniform(double* lowest, double v) const { *lowest = v < *lowest ? v : *lowest; }
  CAPPLAN_HD_INLINE void max_uniform(double* highest, double v) const { *highest = *highest < v ? v : *highest; }
  CAPPLAN_HD_INLINE void count(std::uint64_t* table, std::uint64_t index) const { ++table[index]; }
  CAPPLAN_HD_INLINE void add(std::uint64_t* counter, std::uint64_t x) const { *counter += x; }
  CAPPLAN_HD_INLINE void minimum(double* lowest, double v) const { min_uniform(lowest, v); }
  CAPPLAN_HD_INLINE void maximum(double* highest, double v) const { max_uniform(highest, v); }
  CAPPLAN_HD_INLINE void count_if(std::uint64_t* counter, bool yes) const {
    if (yes) ++*counter;
  }
};

// Adds one value of each active lane to a cell with layout `c`. Every lane of
// a warp calls it (warp sinks use warp-wide operations).
template <class Sink>
CAPPLAN_HD_INLINE void aggregate_cell(Sink& sink, const CellLayout& c, double value,
                                      const CellCounters<typename Sink::Extremum>& to) {
  if (value == 0.0) value = 0.0;  // -0.0 counts as +0.0 (it bins and sums as +0.0 anyway)
  const std::uint64_t bin = c.bin_offset + static_cast<std::uint64_t>(hdr_bin_index(cell_quantize(c, value), c.bits));
  const std::uint64_t fixed = cell_fixed_point(c, value);
  const unsigned same = sink.uniform(value);
  if (same != 0) {
    // Every active lane holds this value (common: nothing delivered yet, or
    // everything delivered): one update of `same` x per counter.
    sink.add_uniform(to.bins + bin, same);
    sink.add_uniform(to.sum, fixed * same);
    sink.min_uniform(to.minimum, value);
    sink.max_uniform(to.maximum, value);
    return;
  }
  sink.count(to.bins, bin);
  sink.add(to.sum, fixed);
  sink.minimum(to.minimum, value);
  sink.maximum(to.maximum, value);
}

// Adds each active lane's completion days (completion_day[tranche], then each
// milestone's first-passage day) and target hits (record[cell]) of one trial:
// completion-day bins, criticality, targets.
template <class Sink, class Record, class Days>
CAPPLAN_HD_INLINE void aggregate_outcomes(Sink& sink, const ModelView& model, const CounterLayout& layout,
                                          const BasicCounterView<typename Sink::Extremum>& to, const Record& record,
                                          const Days& completion_day) {
  const std::uint64_t stride = static_cast<std::uint64_t>(model.days) + 1;
  for (int t = 0; t < model.tranche_count + model.milestone_count; ++t) {
    const int day = sink.active() ? completion_day[t] : 0;
    const int bin = day < 0 || day >= model.days ? model.days : day;
    sink.count(to.completion, static_cast<std::uint64_t>(t) * stride + static_cast<std::uint64_t>(bin));
  }
  // Criticality: per site, the tranches that complete last (not completing
  // counts as latest; a tranche that does not happen is never critical).
  for (int site = 0; site < model.site_count; ++site) {
    const SiteParams& sp = model.sites[site];
    const int* members = model.site_tranches + sp.tranche_offset;
    int latest = -1;
    if (sink.active()) {
      for (int k = 0; k < sp.tranche_count; ++k) {
        const int day = completion_day[members[k]];
        const int key = day == kNotCompleted ? model.days : day;
        if (day != kDoesNotHappen && key > latest) latest = key;
      }
    }
    for (int k = 0; k < sp.tranche_count; ++k) {
      const int t = members[k];
      bool critical = false;
      if (sink.active()) {
        const int day = completion_day[t];
        critical = day != kDoesNotHappen && (day == kNotCompleted ? model.days : day) == latest;
      }
      sink.count_if(to.critical + t, critical);
    }
  }
  for (std::uint64_t k = 0; k < layout.sizes.targets; ++k) {
    const TargetCell target = layout.targets[k];
    sink.count_if(to.target_hits + k, sink.active() && record[target.cell] >= target.threshold);
  }
}

// Adds each active lane's trial: record[row x kMetricCount + metric] (every
// cell of every scope block) and completion_day[tranche + milestone]. An inactive lane's record is not read.
template <class Sink, class Record, class Days>
CAPPLAN_HD_INLINE void aggregate_trial(Sink& sink, const ModelView& model, const CounterLayout& layout,
                                       const BasicCounterView<typename Sink::Extremum>& to, const Record& record,
                                       const Days& completion_day) {
  for (std::uint64_t cell = 0; cell < layout.sizes.cells; ++cell) {
    const CellLayout c = layout.cells[cell];
    const double value = sink.active() ? record[cell] : 0.0;
    aggregate_cell(sink, c, value,
                   CellCounters<typename Sink::Extremum>{to.bins, to.sums + cell, to.minima + cell, to.maxima + cell});
  }
  aggregate_outcomes(sink, model, layout, to, record, completion_day);
}

}  // namespace capplan

// Tests of the per-trial aggregation (kernels/aggregate.h) and its warp sink
// (kernels/warp_sink.h), on the host.
//
// The warp sink runs here against an emulated warp: 32 host threads, one per
// lane, that take turns so that every warp collective (shuffle, match_any,
// ballot, all) sees the 32 lanes' operands together, as on a GPU. For random
// and crafted warps -- lanes with equal values, all-different values,
// inactive lanes, -0.0, +-infinity, NaN and huge values -- the merged updates
// must give exactly the counters of the plain sink (the CPU's), which adds
// the active lanes' trials one at a time. There are no tolerances: every
// counter is an integer, and minima and maxima are compared bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/aggregate.h"
#include "kernels/histogram.h"
#include "kernels/metrics.h"
#include "kernels/model.h"
#include "kernels/warp_sink.h"

namespace {

using capplan::CellLayout;
using capplan::CounterLayout;
using capplan::kMetricCount;

constexpr unsigned kLanes = 32;
constexpr unsigned kAllLanes = 0xffffffffu;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- an emulated warp ------------------------------------------------------------

// Runs a body on 32 threads, one per lane, in lockstep at the collectives:
// a lane runs until it reaches a collective (or its end), leaves its operand
// and hands over to the next lane; once lane 31 has arrived, every lane's
// result is computed from the 32 operands and lane 0 goes on. Only one lane
// runs at a time, so a run is deterministic and atomics are plain updates.
class Lockstep {
 public:
  enum class Op { kBroadcast, kShflXor, kMatchAny, kBallot, kAll, kEnd };

  template <class Body>
  void run(Body body) {
    turn_ = 0;
    std::vector<std::thread> lanes;
    for (unsigned lane = 0; lane < kLanes; ++lane) {
      lanes.emplace_back([this, lane, &body] {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_[lane].wait(lock, [&] { return turn_ == lane; });
        }
        body(lane);
        std::unique_lock<std::mutex> lock(mutex_);
        arrive(lane, Op::kEnd, 0, 0);
      });
    }
    for (std::thread& t : lanes) t.join();
  }

  std::uint64_t collectives() const { return collectives_; }  // resolved so far

  // Lane `lane`'s part in a collective; returns its result.
  std::uint64_t collective(unsigned lane, Op op, std::uint64_t operand, unsigned argument) {
    std::unique_lock<std::mutex> lock(mutex_);
    arrive(lane, op, operand, argument);
    wake_[lane].wait(lock, [&] { return turn_ == lane; });
    return result_[lane];
  }

 private:
  // Records the lane's operand and hands over to the next lane (resolving the
  // collective after lane 31). Called with the mutex held.
  void arrive(unsigned lane, Op op, std::uint64_t operand, unsigned argument) {
    op_[lane] = op;
    operand_[lane] = operand;
    argument_[lane] = argument;
    if (lane == kLanes - 1) resolve();
    turn_ = (lane + 1) % kLanes;
    wake_[turn_].notify_one();
  }

  void resolve() {
    ++collectives_;
    for (unsigned l = 1; l < kLanes; ++l) {
      if (op_[l] != op_[0]) {
        // Not warp-uniform: the device would deadlock or read garbage.
        std::fprintf(stderr, "lanes 0 and %u reached different warp collectives\n", l);
        std::abort();
      }
    }
    unsigned ballot = 0;
    for (unsigned l = 0; l < kLanes; ++l) ballot |= (operand_[l] != 0 ? 1u : 0u) << l;
    for (unsigned l = 0; l < kLanes; ++l) {
      switch (op_[0]) {
        case Op::kBroadcast:
          result_[l] = operand_[argument_[l] % kLanes];  // an out-of-range source wraps, as __shfl_sync's does
          break;
        case Op::kShflXor:
          result_[l] = operand_[(l ^ argument_[l]) % kLanes];
          break;
        case Op::kMatchAny: {
          unsigned peers = 0;
          for (unsigned j = 0; j < kLanes; ++j) peers |= (operand_[j] == operand_[l] ? 1u : 0u) << j;
          result_[l] = peers;
          break;
        }
        case Op::kBallot:
          result_[l] = ballot;
          break;
        case Op::kAll:
          result_[l] = ballot == kAllLanes ? 1 : 0;
          break;
        case Op::kEnd:
          break;
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_[kLanes];
  unsigned turn_ = 0;
  std::uint64_t collectives_ = 0;
  Op op_[kLanes] = {};
  std::uint64_t operand_[kLanes] = {};
  unsigned argument_[kLanes] = {};
  std::uint64_t result_[kLanes] = {};
};

// The Warp interface of kernels/warp_sink.h over a Lockstep; counts the
// atomic updates it makes.
class EmulatedWarp {
 public:
  EmulatedWarp(Lockstep* lockstep, unsigned lane, std::uint64_t* atomics)
      : lockstep_(lockstep), lane_(lane), atomics_(atomics) {}

  unsigned lane() const { return lane_; }
  std::uint64_t broadcast(std::uint64_t v, unsigned from) const {
    return lockstep_->collective(lane_, Lockstep::Op::kBroadcast, v, from);
  }
  std::uint64_t shfl_xor(std::uint64_t v, int offset) const {
    return lockstep_->collective(lane_, Lockstep::Op::kShflXor, v, static_cast<unsigned>(offset));
  }
  unsigned match_any(std::uint64_t key) const {
    return static_cast<unsigned>(lockstep_->collective(lane_, Lockstep::Op::kMatchAny, key, 0));
  }
  unsigned ballot(bool p) const {
    return static_cast<unsigned>(lockstep_->collective(lane_, Lockstep::Op::kBallot, p ? 1 : 0, 0));
  }
  bool all(bool p) const { return lockstep_->collective(lane_, Lockstep::Op::kAll, p ? 1 : 0, 0) != 0; }
  void atomic_add(std::uint64_t* counter, std::uint64_t x) const {
    ++*atomics_;
    *counter += x;
  }
  void atomic_min(std::uint64_t* counter, std::uint64_t x) const {
    ++*atomics_;
    if (x < *counter) *counter = x;
  }
  void atomic_max(std::uint64_t* counter, std::uint64_t x) const {
    ++*atomics_;
    if (x > *counter) *counter = x;
  }

 private:
  Lockstep* lockstep_;
  unsigned lane_;
  std::uint64_t* atomics_;  // shared by the lanes, which never run at the same time
};

// ---- a small counter layout --------------------------------------------------------

constexpr int kRows = 3;
constexpr std::uint64_t kCells = kRows * kMetricCount;
constexpr int kDays = 10;
constexpr unsigned kTranches = 5;

// Three record rows whose cells cover exact and log-binned counts (units 1
// and 72), continuous values (bound 1000, a 2^20-step range) and a
// continuous cell with bound 0 (no sums); two sites; three targets.
struct Fixture {
  std::vector<CellLayout> cells;
  std::vector<capplan::TargetCell> targets;
  std::vector<capplan::SiteParams> sites;
  std::vector<int> site_tranches = {0, 2, 1, 3, 4};
  capplan::ModelView model;
  CounterLayout layout;

  Fixture() {
    std::uint64_t offset = 0;
    for (int row = 0; row < kRows; ++row) {
      for (int m = 0; m < kMetricCount; ++m) {
        CellLayout c;
        c.is_count = capplan::metric_is_count(m) ? 1 : 0;
        if (c.is_count) {
          c.bits = 3;  // exact below 16, then 8 bins per octave
          c.scale = row == 1 ? 72.0 : 1.0;
          c.max_x = 5000;
          c.sum_bound = 5000.0 * c.scale;
        } else {
          c.bits = 4;
          c.max_x = (std::int64_t(1) << 20) - 1;
          c.sum_bound = row == 2 && m == kMetricCount - 1 ? 0.0 : 1000.0;
          c.scale = c.sum_bound > 0.0 ? c.sum_bound / 1048576.0 : 1.0;
        }
        c.bin_offset = offset;
        c.bin_count = capplan::hdr_bin_count(c.max_x, c.bits);
        offset += static_cast<std::uint64_t>(c.bin_count);
        cells.push_back(c);
      }
    }
    targets = {
        {capplan::kAvailableAccelerators, 72.0}, {kMetricCount + capplan::kEffectivePflops, 500.0}, {kCells - 1, 0.0}};
    capplan::SiteParams first, second;
    first.tranche_offset = 0;
    first.tranche_count = 2;
    second.tranche_offset = 2;
    second.tranche_count = 3;
    sites = {first, second};
    model.days = kDays;
    model.tranche_count = static_cast<int>(kTranches);
    model.site_count = static_cast<int>(sites.size());
    model.sites = sites.data();
    model.site_tranches = site_tranches.data();
    layout.sizes.bins = offset;
    layout.sizes.cells = kCells;
    layout.sizes.completion = static_cast<std::uint64_t>(kTranches) * (kDays + 1);
    layout.sizes.targets = targets.size();
    layout.sizes.tranches = kTranches;
    layout.cells = cells.data();
    layout.targets = targets.data();
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

// Counters with minima and maxima of type E, starting empty (+inf / -inf).
template <class E>
struct Counters {
  std::vector<std::uint64_t> bins, sums, completion, target_hits, critical;
  std::vector<E> minima, maxima;

  Counters(const capplan::CounterSizes& n, E lowest_start, E highest_start)
      : bins(n.bins),
        sums(n.cells),
        completion(n.completion),
        target_hits(n.targets),
        critical(n.tranches),
        minima(n.cells, lowest_start),
        maxima(n.cells, highest_start) {}
  capplan::BasicCounterView<E> view() {
    capplan::BasicCounterView<E> v;
    v.sizes = fixture().layout.sizes;
    v.bins = bins.data();
    v.sums = sums.data();
    v.minima = minima.data();
    v.maxima = maxima.data();
    v.completion = completion.data();
    v.target_hits = target_hits.data();
    v.critical = critical.data();
    return v;
  }
};
using PlainCounters = Counters<double>;
using KeyedCounters = Counters<std::uint64_t>;

PlainCounters empty_plain() { return PlainCounters(fixture().layout.sizes, kInf, -kInf); }
KeyedCounters empty_keyed() { return KeyedCounters(fixture().layout.sizes, capplan::kKeyPosInf, capplan::kKeyNegInf); }

// One warp's trials: lane l's record and completion days; inactive lanes'
// data is garbage that must not be read.
struct WarpInput {
  unsigned active = kAllLanes;
  std::vector<double> records = std::vector<double>(kLanes * kCells, 0.0);  // [lane][cell]
  std::vector<int> days = std::vector<int>(kLanes * kTranches, 0);          // [lane][tranche]

  double& value(unsigned lane, std::uint64_t cell) { return records[lane * kCells + cell]; }
  bool is_active(unsigned lane) const { return (active >> lane) & 1u; }
};

// The plain sink (the CPU's aggregation): the active lanes one at a time.
void add_plain(const WarpInput& in, PlainCounters& counters) {
  const Fixture& f = fixture();
  capplan::PlainSink sink;
  for (unsigned lane = 0; lane < kLanes; ++lane) {
    if (!in.is_active(lane)) continue;
    capplan::aggregate_trial(sink, f.model, f.layout, counters.view(), in.records.data() + lane * kCells,
                             in.days.data() + lane * kTranches);
  }
}

struct WarpCost {
  std::uint64_t atomics = 0;      // atomic updates of the counters
  std::uint64_t collectives = 0;  // warp collectives (shuffles, votes, match_any), the lane ends included
};

// The warp sink on the emulated warp.
WarpCost add_warp(const WarpInput& in, KeyedCounters& counters) {
  const Fixture& f = fixture();
  const capplan::BasicCounterView<std::uint64_t> view = counters.view();
  std::uint64_t atomics = 0;
  Lockstep lockstep;
  lockstep.run([&](unsigned lane) {
    const EmulatedWarp warp(&lockstep, lane, &atomics);
    const bool active = in.is_active(lane);
    capplan::WarpSink<EmulatedWarp> sink(warp, active, warp.ballot(active));
    capplan::aggregate_trial(sink, f.model, f.layout, view, in.records.data() + lane * kCells,
                             in.days.data() + lane * kTranches);
  });
  return {atomics, lockstep.collectives()};
}

std::uint64_t bits_of(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Every counter equal; minima and maxima bit for bit.
void expect_same(const PlainCounters& plain, const KeyedCounters& warp, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(plain.bins, warp.bins) << "histogram bins";
  EXPECT_EQ(plain.sums, warp.sums) << "fixed-point sums";
  EXPECT_EQ(plain.completion, warp.completion) << "completion days";
  EXPECT_EQ(plain.target_hits, warp.target_hits) << "target hits";
  EXPECT_EQ(plain.critical, warp.critical) << "criticality";
  for (std::uint64_t c = 0; c < kCells; ++c) {
    const double low = capplan::key_to_double(warp.minima[c]);
    const double high = capplan::key_to_double(warp.maxima[c]);
    EXPECT_EQ(bits_of(plain.minima[c]), bits_of(low))
        << "minimum of cell " << c << ": " << plain.minima[c] << " vs " << low;
    EXPECT_EQ(bits_of(plain.maxima[c]), bits_of(high))
        << "maximum of cell " << c << ": " << plain.maxima[c] << " vs " << high;
  }
}

// ---- inputs ----------------------------------------------------------------------

// Values that stress the aggregation: signed zeros, infinities, NaNs (two
// payloads and a sign), the extremes of the doubles, values beyond a cell's
// range, negative values, and ordinary ones on both sides of the bin layout.
std::vector<double> special_values() {
  double payload_nan;
  const std::uint64_t payload = 0x7ff8000000000123ull;
  std::memcpy(&payload_nan, &payload, sizeof payload_nan);
  return {0.0,    -0.0,  kInf, -kInf,    kNaN,     -kNaN, payload_nan,  std::numeric_limits<double>::max(),
          -1e300, 1e300, 1e30, 4.9e-324, 2.2e-308, -3.5,  0.4999,       0.5,
          7.0,    15.0,  72.0, 1000.0,   999.999,  1e6,   5000.0 * 72.0};
}

// A value for a cell: `kind` 0 = the warp's shared value, 1 = a random
// special value, 2 = random within the cell's range, 3 = one of three
// values shared by groups of lanes.
double value_of(int kind, const CellLayout& c, double shared, const double* group, std::mt19937_64& rng) {
  static const std::vector<double> specials = special_values();
  switch (kind) {
    case 0:
      return shared;
    case 1:
      return specials[rng() % specials.size()];
    case 2: {
      const double top = c.is_count ? static_cast<double>(c.max_x) * c.scale : c.sum_bound;
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      return c.is_count ? std::floor(u * 1.1 * static_cast<double>(c.max_x)) * c.scale : u * 1.1 * top;
    }
    default:
      return group[rng() % 3];
  }
}

WarpInput random_warp(std::mt19937_64& rng, unsigned active) {
  static const std::vector<double> specials = special_values();
  WarpInput in;
  in.active = active;
  const Fixture& f = fixture();
  for (std::uint64_t cell = 0; cell < kCells; ++cell) {
    const int kind = static_cast<int>(rng() % 4);
    const double shared = specials[rng() % specials.size()];
    const double group[3] = {specials[rng() % specials.size()], static_cast<double>(rng() % 40),
                             static_cast<double>(rng() % 40)};
    for (unsigned lane = 0; lane < kLanes; ++lane) {
      in.value(lane, cell) = in.is_active(lane) ? value_of(kind, f.cells[cell], shared, group, rng) : kNaN;
    }
  }
  // Completion days -2 .. kDays + 1 (does not happen, not completed, within
  // and beyond the horizon); in one warp in four every lane has lane 0's.
  const bool same_days = rng() % 4 == 0;
  for (unsigned lane = 0; lane < kLanes; ++lane) {
    for (unsigned t = 0; t < kTranches; ++t) {
      const int day = static_cast<int>(rng() % (kDays + 4)) - 2;
      in.days[lane * kTranches + t] = !in.is_active(lane) ? 12345 : same_days && lane > 0 ? in.days[t] : day;
    }
  }
  return in;
}

// Active-lane patterns: full, the kernel's partial last warps (lanes 0 .. n-1),
// lane 0 inactive, one lane, none, and random masks.
unsigned random_mask(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return kAllLanes;
    case 1:
      return static_cast<unsigned>((std::uint64_t(1) << (1 + rng() % 31)) - 1);
    case 2:
      return kAllLanes & ~1u;
    case 3:
      return 1u << (rng() % 32);
    case 4:
      return static_cast<unsigned>(rng());
    default:
      return rng() % 8 == 0 ? 0u : static_cast<unsigned>(rng()) | 1u;
  }
}

// Adds `in` through both sinks and compares the counters.
void check(const WarpInput& in, PlainCounters& plain, KeyedCounters& warp, const std::string& what) {
  add_plain(in, plain);
  add_warp(in, warp);
  expect_same(plain, warp, what);
}

// ---- tests -----------------------------------------------------------------------

TEST(WarpAggregation, RandomWarpsMatchThePlainSink) {
  std::mt19937_64 rng(20240611);
  PlainCounters plain = empty_plain();
  KeyedCounters warp = empty_keyed();
  for (int w = 0; w < 60 && !HasFailure(); ++w) {
    check(random_warp(rng, random_mask(rng)), plain, warp, "random warp " + std::to_string(w));
  }
}

TEST(WarpAggregation, CraftedWarpsMatchThePlainSink) {
  const std::vector<double> specials = special_values();
  PlainCounters plain = empty_plain();
  KeyedCounters warp = empty_keyed();
  // Every lane holds the same special value in every cell (the uniform
  // shortcut), under each active pattern.
  for (const unsigned active : {kAllLanes, 0x0000ffffu, 0xfffffffeu, 0x80000000u, 0u}) {
    for (const double v : specials) {
      WarpInput in;
      in.active = active;
      for (unsigned lane = 0; lane < kLanes; ++lane) {
        for (std::uint64_t cell = 0; cell < kCells; ++cell) in.value(lane, cell) = in.is_active(lane) ? v : kNaN;
      }
      char name[96];
      std::snprintf(name, sizeof name, "every lane %a, active %08x", v, active);
      check(in, plain, warp, name);
    }
  }
  // +0.0 and -0.0 mixed: equal after the mapping, so one uniform update.
  WarpInput zeros;
  for (unsigned lane = 0; lane < kLanes; ++lane) {
    for (std::uint64_t cell = 0; cell < kCells; ++cell) zeros.value(lane, cell) = lane % 2 ? -0.0 : 0.0;
  }
  check(zeros, plain, warp, "+0.0 and -0.0");
  // All different: lane l holds l-th special value (and beyond, distinct integers).
  WarpInput different;
  for (unsigned lane = 0; lane < kLanes; ++lane) {
    for (std::uint64_t cell = 0; cell < kCells; ++cell) {
      different.value(lane, cell) = lane < specials.size() ? specials[(lane + cell) % specials.size()] : 100.0 + lane;
    }
    for (unsigned t = 0; t < kTranches; ++t)
      different.days[lane * kTranches + t] = static_cast<int>((lane + t) % 13) - 2;
  }
  check(different, plain, warp, "all different");
  // NaN in every active lane but one.
  WarpInput nans;
  for (unsigned lane = 0; lane < kLanes; ++lane) {
    for (std::uint64_t cell = 0; cell < kCells; ++cell) nans.value(lane, cell) = lane == 17 ? 3.0 : kNaN;
  }
  check(nans, plain, warp, "NaN but lane 17");
}

// The uniform shortcut: a warp whose active lanes all hold the same trial
// makes at most one atomic per counter -- bin, sum, minimum, maximum per cell
// -- plus one per completion bin, critical tranche and target hit, and only
// two collectives per cell (a broadcast and a vote); inactive lanes (a
// partial last warp) do not break it.
TEST(WarpAggregation, UniformWarpMakesOneUpdatePerCounter) {
  for (const unsigned active : {kAllLanes, 0x00ffffffu, 0xfffffff0u}) {
    WarpInput in;
    in.active = active;
    for (unsigned lane = 0; lane < kLanes; ++lane) {
      for (std::uint64_t cell = 0; cell < kCells; ++cell) {
        in.value(lane, cell) = in.is_active(lane) ? 500.0 + static_cast<double>(cell) : kNaN;
      }
      for (unsigned t = 0; t < kTranches; ++t) in.days[lane * kTranches + t] = static_cast<int>(t);
    }
    KeyedCounters warp = empty_keyed();
    const WarpCost cost = add_warp(in, warp);
    const std::uint64_t outcomes = 2 * kTranches + fixture().targets.size();
    EXPECT_LE(cost.atomics, 4 * kCells + outcomes) << "active lanes " << active;
    // One ballot for the active lanes and one collective for the lane ends.
    EXPECT_EQ(cost.collectives, 2 * kCells + outcomes + 2) << "active lanes " << active;
    PlainCounters plain = empty_plain();
    add_plain(in, plain);
    expect_same(plain, warp, "uniform warp");
  }
}

// What the plain sink does with the values that need a rule: -0.0 counts as
// +0.0, NaN never becomes a minimum or maximum (bin 0, adds 0), +-infinity
// become maxima / minima, +inf bins at the top and adds the largest addend.
TEST(PlainSink, SignedZeroNaNAndInfinity) {
  const Fixture& f = fixture();
  const CellLayout& count = f.cells[capplan::kOnlineSystems];
  const CellLayout& continuous = f.cells[capplan::kPeakPflops];
  capplan::PlainSink sink;
  std::vector<std::uint64_t> bins(f.layout.sizes.bins, 0);
  std::uint64_t sum = 0;
  double lowest = kInf, highest = -kInf;
  const capplan::CellCounters<double> to{bins.data(), &sum, &lowest, &highest};

  capplan::aggregate_cell(sink, count, -0.0, to);
  EXPECT_EQ(lowest, 0.0);
  EXPECT_FALSE(std::signbit(lowest)) << "-0.0 counts as +0.0";
  EXPECT_FALSE(std::signbit(highest));
  EXPECT_EQ(bins[count.bin_offset], 1u);

  capplan::aggregate_cell(sink, count, kNaN, to);
  EXPECT_EQ(lowest, 0.0);
  EXPECT_EQ(highest, 0.0);
  EXPECT_EQ(sum, 0u);
  EXPECT_EQ(bins[count.bin_offset], 2u) << "NaN bins at 0";

  capplan::aggregate_cell(sink, count, kInf, to);
  EXPECT_EQ(highest, kInf);
  EXPECT_EQ(sum, static_cast<std::uint64_t>(count.max_x)) << "+inf adds the top";
  const int top = capplan::hdr_bin_index(count.max_x, count.bits);
  EXPECT_EQ(bins[count.bin_offset + static_cast<std::uint64_t>(top)], 1u);

  capplan::aggregate_cell(sink, count, -kInf, to);
  EXPECT_EQ(lowest, -kInf);
  EXPECT_EQ(bins[count.bin_offset], 3u);

  std::uint64_t continuous_sum = 0;
  double low = kInf, high = -kInf;
  const capplan::CellCounters<double> cto{bins.data(), &continuous_sum, &low, &high};
  capplan::aggregate_cell(sink, continuous, kInf, cto);
  capplan::aggregate_cell(sink, continuous, kNaN, cto);
  capplan::aggregate_cell(sink, continuous, 1e300, cto);
  EXPECT_EQ(continuous_sum, 2 * static_cast<std::uint64_t>(capplan::kFixedPointSteps));
  EXPECT_EQ(low, 1e300);
  EXPECT_EQ(high, kInf);
}

// The order keys order every double (NaN aside) as the doubles do, and map back.
TEST(OrderKeys, PreserveOrderAndRoundTrip) {
  const std::vector<double> ascending = {-kInf,    -std::numeric_limits<double>::max(),
                                         -1e300,   -72.0,
                                         -1.0,     -4.9e-324,
                                         0.0,      4.9e-324,
                                         2.2e-308, 0.5,
                                         1.0,      72.0,
                                         1e300,    std::numeric_limits<double>::max(),
                                         kInf};
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    const std::uint64_t key = capplan::order_key(ascending[i]);
    EXPECT_EQ(bits_of(capplan::key_to_double(key)), bits_of(ascending[i])) << ascending[i];
    if (i > 0) {
      EXPECT_LT(capplan::order_key(ascending[i - 1]), key) << ascending[i - 1] << " < " << ascending[i];
    }
  }
  EXPECT_EQ(capplan::order_key(kInf), capplan::kKeyPosInf);
  EXPECT_EQ(capplan::order_key(-kInf), capplan::kKeyNegInf);
}

}  // namespace

// Fixed-size histograms for the forecast statistics: exact bins for small
// integers, log-linear bins (HdrHistogram style) above, so a bin is never wider
// than 2^-sub_bucket_bits of its values. The bin index is pure integer work, so
// every backend bins a value identically.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.h"

namespace capplan {

// floor(log2(x)) for x > 0: the position of the highest set bit.
CAPPLAN_HD_INLINE int highest_bit(std::int64_t x) {
#if defined(__CUDA_ARCH__)
  return 63 - __clzll(static_cast<long long>(x));
#else
  return 63 - __builtin_clzll(static_cast<unsigned long long>(x));
#endif
}

// Bins for integers 0 .. max_x with `bits` sub-bucket bits: exact below 2^(bits+1).
CAPPLAN_HD_INLINE int hdr_bin_count(std::int64_t max_x, int bits) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  if (max_x < exact) return static_cast<int>(max_x + 1);
  const int top = highest_bit(max_x);
  return static_cast<int>(exact + (static_cast<std::int64_t>(top) - bits) * (std::int64_t(1) << bits));
}

CAPPLAN_HD_INLINE int hdr_bin_index(std::int64_t x, int bits) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  if (x < exact) return static_cast<int>(x);
  const int top = highest_bit(x);
  const int shift = top - bits;                                       // >= 1
  const std::int64_t sub = (x >> shift) - (std::int64_t(1) << bits);  // 0 .. 2^bits - 1
  return static_cast<int>(exact + static_cast<std::int64_t>(shift - 1) * (std::int64_t(1) << bits) + sub);
}

// The integers [low, low + width) that bin `index` holds.
CAPPLAN_HD_INLINE void hdr_bin_range(int index, int bits, std::int64_t* low, std::int64_t* width) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  if (index < exact) {
    *low = index;
    *width = 1;
    return;
  }
  const std::int64_t above = index - exact;
  const int shift = static_cast<int>(above >> bits) + 1;
  const std::int64_t sub = above & ((std::int64_t(1) << bits) - 1);
  *low = ((std::int64_t(1) << bits) + sub) << shift;
  *width = std::int64_t(1) << shift;
}

}  // namespace capplan

namespace capplan {

// How one (record row, metric) cell of the forecast statistics turns a value
// into a histogram bin and a fixed-point addend. Shared by every backend, so a
// value lands in the same bin wherever it is aggregated.
struct CellLayout {
  std::uint64_t bin_offset = 0;  // into the statistics' bin array
  int bin_count = 0;
  int bits = 0;      // HDR sub-bucket bits
  int is_count = 0;  // counts: x = value / scale exactly
  std::int64_t max_x = 0;
  double scale = 1.0;      // value per integer step (count unit, or continuous quantum)
  double sum_bound = 0.0;  // continuous: fixed-point sums count in steps of sum_bound / 2^32
};

// Fixed-point steps per sum_bound for continuous metrics: with values <= the
// bound and fewer than 2^32 trials, sums stay below 2^64.
constexpr double kFixedPointSteps = 4294967296.0;

// The non-negative integer a value is binned as: counts are exact multiples of
// their unit (rounded), continuous values are floored into quanta; clamped to [0, max_x].
// NaN, -inf and values <= 0 give 0 (a NaN fails `> 0.0`), +inf and values at or
// above the range give max_x: only a double in (0, max_x) is converted to an
// integer, so no value converts out of range (undefined behaviour in C++).
CAPPLAN_HD_INLINE std::int64_t cell_quantize(const CellLayout& c, double value) {
  const double x = value / c.scale;
  const double stepped = c.is_count ? floor(x + 0.5) : floor(x);
  if (!(stepped > 0.0)) return 0;
  if (stepped >= static_cast<double>(c.max_x)) return c.max_x;
  return static_cast<std::int64_t>(stepped);
}

// What the value adds to the cell's exact sum (counts: x; continuous: round(value / bound x 2^32)).
// Continuous: NaN and values <= 0 add 0, +inf and values above the bound add
// 2^32; only a double in (0, 2^32] is converted.
CAPPLAN_HD_INLINE std::uint64_t cell_fixed_point(const CellLayout& c, double value) {
  if (c.is_count) return static_cast<std::uint64_t>(cell_quantize(c, value));
  if (!(c.sum_bound > 0.0)) return 0;
  double fixed = floor(value / c.sum_bound * kFixedPointSteps + 0.5);
  if (!(fixed > 0.0)) return 0;
  if (fixed > kFixedPointSteps) fixed = kFixedPointSteps;
  return static_cast<std::uint64_t>(fixed);
}

}  // namespace capplan

// Fixed-size histograms for the forecast statistics: exact bins for small
// integers, log-linear bins (HdrHistogram style) above, so a bin is never wider
// than 2^-sub_bucket_bits of its values. The bin index is pure integer work, so
// every backend bins a value identically.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace capplan {

// Bins for integers 0 .. max_x with `bits` sub-bucket bits: exact below 2^(bits+1).
CAPPLAN_HD_INLINE int hdr_bin_count(std::int64_t max_x, int bits) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  if (max_x < exact) return static_cast<int>(max_x + 1);
  int top = 63;
  while (((max_x >> top) & 1) == 0) --top;  // floor(log2(max_x))
  return static_cast<int>(exact + (static_cast<std::int64_t>(top) - bits) * (std::int64_t(1) << bits));
}

CAPPLAN_HD_INLINE int hdr_bin_index(std::int64_t x, int bits) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  if (x < exact) return static_cast<int>(x);
  int top = 63;
  while (((x >> top) & 1) == 0) --top;
  const int shift = top - bits;                                 // >= 1
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

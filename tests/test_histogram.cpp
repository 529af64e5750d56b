// Tests of the log-linear (HdrHistogram-style) bin layout in kernels/histogram.h.
//
// Every property here is an exact integer identity, so there are no
// tolerances: the reference is the specification in the header comments
// ("exact below 2^(bits+1)", "a bin is never wider than 2^-bits of its
// values", hdr_bin_range gives "the integers [low, low + width) that bin
// `index` holds").
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/histogram.h"

namespace {

using capplan::hdr_bin_count;
using capplan::hdr_bin_index;
using capplan::hdr_bin_range;

constexpr std::int64_t kSweep = std::int64_t(1) << 20;

// Every x in [0, 2^20): x lies in its bin's range, the bins are visited in
// ascending, gap-free order (bin i+1 starts where bin i ends), bins are exact
// (width 1, index == x) below 2^(bits+1) and no wider than 2^-bits of their
// lowest value above.
void check_layout(int bits) {
  const std::int64_t exact = std::int64_t(1) << (bits + 1);
  int previous_index = -1;
  std::int64_t previous_end = 0;  // low + width of the previous bin
  long failures = 0;
  for (std::int64_t x = 0; x < kSweep && failures < 20; ++x) {
    const int index = hdr_bin_index(x, bits);
    std::int64_t low = -1, width = -1;
    hdr_bin_range(index, bits, &low, &width);
    bool ok = true;
    // x is inside [low, low + width).
    ok &= low <= x && x < low + width;
    if (x < exact) {
      ok &= index == x && low == x && width == 1;
    } else {
      // width / low <= 2^-bits, as an exact integer comparison.
      ok &= width > 0 && (width << bits) <= low;
      ok &= (width & (width - 1)) == 0;  // a power of two
    }
    // Ascending and contiguous: the index either stays (same bin) or moves to
    // the next bin, which starts exactly where the previous one ended.
    if (index != previous_index) {
      ok &= index == previous_index + 1;
      ok &= low == previous_end;
      ok &= low == x;  // a new bin starts at the first integer it holds
      previous_index = index;
      previous_end = low + width;
    }
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "bits " << bits << " x " << x << ": index " << index << " range [" << low << ", " << low + width
                    << ")";
    }
  }
  // The last bin reached must also hold 2^20 - 1 and end at a power-of-two
  // boundary or beyond.
  EXPECT_GE(previous_end, kSweep);
}

TEST(Histogram, LayoutBits9) { check_layout(9); }
TEST(Histogram, LayoutBits12) { check_layout(12); }

// Small resolutions are what the statistics fall back to under a memory budget (>= 6).
TEST(Histogram, LayoutBits6) { check_layout(6); }

// hdr_bin_range inverts hdr_bin_index for every bin index, including bins far
// above 2^20 (large count metrics): index(low) == index(low + width - 1) == i.
TEST(Histogram, RangeInvertsIndexForEveryBin) {
  for (int bits : {6, 9, 12}) {
    const int bins = hdr_bin_count((std::int64_t(1) << 52) - 1, bits);
    for (int i = 0; i < bins; ++i) {
      std::int64_t low = 0, width = 0;
      hdr_bin_range(i, bits, &low, &width);
      ASSERT_EQ(hdr_bin_index(low, bits), i) << "bits " << bits;
      ASSERT_EQ(hdr_bin_index(low + width - 1, bits), i) << "bits " << bits;
      if (i + 1 < bins) {
        std::int64_t next_low = 0, next_width = 0;
        hdr_bin_range(i + 1, bits, &next_low, &next_width);
        ASSERT_EQ(next_low, low + width) << "bits " << bits << " bin " << i;
      }
    }
  }
}

// hdr_bin_count(max_x) must cover every x in [0, max_x]: hdr_bin_index(x) <
// count. The implementation rounds the count up to the end of max_x's
// octave (it is a function of floor(log2(max_x)) only), so it may exceed
// hdr_bin_index(max_x) + 1 by up to 2^bits - 1 unused bins; it equals
// hdr_bin_index(max_x) + 1 exactly when max_x is the last integer of the
// exact range or of an octave (2^k - 1), and for every max_x in the exact range.
TEST(Histogram, BinCountCoversMaxX) {
  std::mt19937_64 rng(20240611);
  for (int bits : {6, 9, 12}) {
    const std::int64_t exact = std::int64_t(1) << (bits + 1);
    std::vector<std::int64_t> maxima;
    for (std::int64_t x = 0; x < 5000; ++x) maxima.push_back(x);
    for (int k = 1; k < 62; ++k) {
      const std::int64_t p = std::int64_t(1) << k;
      maxima.push_back(p - 1);
      maxima.push_back(p);
      maxima.push_back(p + 1);
    }
    for (int i = 0; i < 20000; ++i) {
      const int k = static_cast<int>(rng() % 60) + 1;
      maxima.push_back(static_cast<std::int64_t>(rng() >> (64 - k)));
    }
    for (std::int64_t max_x : maxima) {
      const int count = hdr_bin_count(max_x, bits);
      const int last = hdr_bin_index(max_x, bits);
      ASSERT_GT(count, last) << "bits " << bits << " max_x " << max_x;
      ASSERT_LE(count, last + (1 << bits)) << "bits " << bits << " max_x " << max_x;
      const bool octave_end = (max_x & (max_x + 1)) == 0;  // max_x = 2^k - 1
      if (max_x < exact || octave_end) {
        ASSERT_EQ(count, last + 1) << "bits " << bits << " max_x " << max_x;
      }
      // The bin after the last counted one starts above max_x.
      std::int64_t low = 0, width = 0;
      hdr_bin_range(count - 1, bits, &low, &width);
      ASSERT_GE(low + width - 1, max_x) << "bits " << bits << " max_x " << max_x;
    }
  }
}

// Exhaustively for max_x < 2^20 (bits 9): every x <= max_x bins below the count.
// Since hdr_bin_index is monotone (checked above), it suffices that the
// count is monotone in max_x and exceeds hdr_bin_index(max_x).
TEST(Histogram, BinCountMonotone) {
  for (int bits : {9, 12}) {
    int previous = 0;
    for (std::int64_t max_x = 0; max_x < kSweep; ++max_x) {
      const int count = hdr_bin_count(max_x, bits);
      ASSERT_GE(count, previous) << "bits " << bits << " max_x " << max_x;
      ASSERT_GT(count, hdr_bin_index(max_x, bits)) << "bits " << bits << " max_x " << max_x;
      previous = count;
    }
  }
}

// Values outside a cell's range, infinities and NaN bin and sum without
// converting an out-of-range double to an integer (UBSan's
// float-cast-overflow check runs this in the sanitizer build): NaN, -inf,
// negatives and -0.0 quantize to 0 and add 0; +inf and anything at or above
// the range quantize to max_x and add the cell's largest addend (counts:
// max_x; continuous: 2^32 steps of the sum bound). In-range values are
// floored into quanta (continuous) or rounded to the unit (counts).
TEST(Histogram, CellValuesOutsideTheRangeAreClamped) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double huge = std::numeric_limits<double>::max();
  capplan::CellLayout count;
  count.is_count = 1;
  count.bits = 12;
  count.scale = 72.0;
  count.max_x = 1000000;
  count.sum_bound = 72e6;
  capplan::CellLayout continuous;
  continuous.bits = 9;
  continuous.max_x = (std::int64_t(1) << 24) - 1;
  continuous.sum_bound = 2500.0;
  continuous.scale = 2500.0 / 16777216.0;
  for (const capplan::CellLayout& c : {count, continuous}) {
    const std::uint64_t top_sum = c.is_count ? static_cast<std::uint64_t>(c.max_x) : std::uint64_t(1) << 32;
    for (const double low : {nan, -nan, -inf, -huge, -1.0, -0.0, 0.0, 4.9e-324}) {
      EXPECT_EQ(capplan::cell_quantize(c, low), 0) << low;
      EXPECT_EQ(capplan::cell_fixed_point(c, low), 0u) << low;
    }
    for (const double high : {inf, huge, 1e300, 1e20}) {
      EXPECT_EQ(capplan::cell_quantize(c, high), c.max_x) << high;
      EXPECT_EQ(capplan::cell_fixed_point(c, high), top_sum) << high;
      EXPECT_LT(hdr_bin_index(capplan::cell_quantize(c, high), c.bits), hdr_bin_count(c.max_x, c.bits)) << high;
    }
  }
  EXPECT_EQ(capplan::cell_quantize(count, 72.0 * 12345), 12345);
  EXPECT_EQ(capplan::cell_quantize(count, 72.0 * 12345 - 30.0), 12345);  // rounded to the unit
  EXPECT_EQ(capplan::cell_fixed_point(count, 72.0 * 12345), 12345u);
  EXPECT_EQ(capplan::cell_quantize(continuous, 1250.0), std::int64_t(1) << 23);
  EXPECT_EQ(capplan::cell_fixed_point(continuous, 1250.0), std::uint64_t(1) << 31);
  // A sum bound of 0 (a metric that is always 0) adds nothing, whatever the value.
  capplan::CellLayout unbounded = continuous;
  unbounded.sum_bound = 0.0;
  unbounded.scale = 1.0;
  for (const double v : {nan, inf, 1.0}) EXPECT_EQ(capplan::cell_fixed_point(unbounded, v), 0u) << v;
}

}  // namespace

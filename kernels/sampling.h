// Inverse-CDF sampling of the compiled distributions (kernels/model.h).
//
// Every random quantity is drawn as Q(u) from one uniform u, so correlated
// quantities (Gaussian copula) and common random numbers work for every
// distribution kind.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/fmath.h"
#include "kernels/hd.h"
#include "kernels/model.h"

namespace capplan {

namespace detail {

CAPPLAN_HD_INLINE std::uint64_t double_bits(double x) {
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

CAPPLAN_HD_INLINE double bits_double(std::uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// Linear interpolation inside one octave [2^e, 2^(e+1)) of a tail table, for
// 0 < v < 2^-kTableBodyBits. tail[k] = Q at 2^-(k + kTableBodyBits).
CAPPLAN_HD_INLINE double tail_quantile(const double* tail, double v) {
  const int exponent = static_cast<int>((double_bits(v) >> 52) & 0x7ff) - 1023;  // v in [2^e, 2^(e+1))
  const int k = -(kTableBodyBits + 1) - exponent;  // v in [2^-(k+13), 2^-(k+12)) for 12 body bits
  if (k + 1 >= kTableTailPoints) return tail[kTableTailPoints - 1];
  const double octave_low = bits_double(static_cast<std::uint64_t>(exponent + 1023) << 52);
  const double fraction = v / octave_low - 1.0;  // in [0, 1)
  return tail[k + 1] + fraction * (tail[k] - tail[k + 1]);
}

}  // namespace detail

// Q(u) of a tabulated quantile function (layout in kernels/model.h), 0 < u < 1.
CAPPLAN_HD_INLINE double table_quantile(const double* table, double u) {
  const double* body = table;
  const double* lower_tail = table + kTableBodyIntervals + 1;
  const double* upper_tail = lower_tail + kTableTailPoints;
  const double tail_edge = 1.0 / kTableBodyIntervals;
  if (u < tail_edge) return detail::tail_quantile(lower_tail, u);
  const double v = 1.0 - u;  // exact for u >= 0.5 (Sterbenz)
  if (v < tail_edge) return detail::tail_quantile(upper_tail, v);
  const double x = u * kTableBodyIntervals;
  int i = static_cast<int>(x);
  if (i > kTableBodyIntervals - 1) i = kTableBodyIntervals - 1;
  const double fraction = x - i;
  return body[i] + fraction * (body[i + 1] - body[i]);
}

// The value of distribution `dist` at probability u in (0, 1).
CAPPLAN_HD_INLINE double sample_quantile(const DistParams& dist, const double* tables, double u) {
  switch (dist.kind) {
    case kDistConstant:
      return dist.a;
    case kDistUniform:
      return dist.a + u * (dist.b - dist.a);
    case kDistTriangular: {
      const double width = dist.c - dist.a;
      if (u < dist.d) return dist.a + sqrt(u * width * (dist.b - dist.a));
      return dist.c - sqrt((1.0 - u) * width * (dist.c - dist.b));
    }
    case kDistNormal: {
      // A range deep in the upper tail is sampled by reflection, where the
      // probabilities are small numbers that a double resolves finely.
      const double z = dist.flags ? -fmath::norm_inv(dist.u_lo + (1.0 - u) * dist.u_span)
                                  : fmath::norm_inv(dist.u_lo + u * dist.u_span);
      const double x = dist.a + dist.b * z;
      return x < dist.c ? dist.c : (x > dist.d ? dist.d : x);
    }
    case kDistLognormal:
      return fmath::exp(dist.a + dist.b * fmath::norm_inv(dist.u_lo + u * dist.u_span));
    case kDistTable:
      return dist.a + (dist.b - dist.a) * table_quantile(tables + dist.table_offset, u);
    case kDistDiscrete: {
      const double* cumulative = tables + dist.table_offset;
      const double* values = cumulative + dist.table_size;
      for (int i = 0; i < dist.table_size - 1; ++i) {
        if (u <= cumulative[i]) return values[i];
      }
      return values[dist.table_size - 1];
    }
    case kDistBernoulli:
      return u > 1.0 - dist.a ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

// A sampled duration rounded to whole days, x.5 rounding up; clamped to
// +-10^7 days so huge lognormal draws cannot overflow an int.
CAPPLAN_HD_INLINE int round_days(double x) {
  const double limit = 1.0e7;
  if (!(x > -limit)) return -10000000;  // also catches NaN
  if (x > limit) return 10000000;
  const double whole = floor(x);
  return static_cast<int>(whole) + (x - whole >= 0.5 ? 1 : 0);  // x - whole is exact here
}

}  // namespace capplan

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

// x^y for x > 0, from the shared log and exp (the same bits on every backend).
CAPPLAN_HD_INLINE double positive_pow(double x, double y) { return fmath::exp(y * fmath::log(x)); }

// Q between two table nodes next to one end of the support: q_near at
// distance p_near from that end (p_near may be 0: the end itself), q_far at
// p_far > p_near, evaluated at distance p in [p_near, p_far]. Near an end of
// a Beta(alpha, beta), |Q - Q(end)| ~ C p^(1/shape) (shape = alpha at the
// lower end, beta at the upper), with an infinite or vanishing slope when the
// shape is not 1; so the interpolation is linear in p^(1/shape), not in p:
// exact for that leading power law, and at least as good as linear elsewhere.
// The result stays between the two node values, so Q is non-decreasing
// across intervals.
CAPPLAN_HD_INLINE double interpolate_toward_end(double p_near, double q_near, double p_far, double q_far, double p,
                                                double inv_shape) {
  double t;
  if (p_near == 0.0) {
    t = positive_pow(p / p_far, inv_shape);
  } else {
    const double span = positive_pow(p_far / p_near, inv_shape) - 1.0;
    // A huge shape makes the power law flat: then Q is linear in p to far below rounding.
    t = span > 1.0e-9 ? (positive_pow(p / p_near, inv_shape) - 1.0) / span : (p - p_near) / (p_far - p_near);
  }
  t = t > 0.0 ? (t < 1.0 ? t : 1.0) : 0.0;
  const double q = q_near + t * (q_far - q_near);
  const double low = q_near < q_far ? q_near : q_far;
  const double high = q_near < q_far ? q_far : q_near;
  return q < low ? low : (q > high ? high : q);
}

// Q at distance p (0 < p <= 1/2) from one end of the support: the lower end
// (u = p, nodes body[j] at u = j / n) or the upper end (u = 1 - p, nodes
// body[n - j]); tail[k] = Q at distance 2^-(k + kTableBodyBits), and below the
// last tail point the end itself (Q = 0 or 1) is the near node.
CAPPLAN_HD_INLINE double end_quantile(const double* body, const double* tail, double p, bool upper, double inv_shape) {
  constexpr int n = kTableBodyIntervals;
  const double end_value = upper ? 1.0 : 0.0;
  if (p >= 1.0 / n) {
    const double x = p * n;  // exact: n is a power of 2
    const int j = static_cast<int>(x);
    const double q_near = upper ? body[n - j] : body[j];
    const double q_far = upper ? body[n - j - 1] : body[j + 1];
    return interpolate_toward_end(static_cast<double>(j), q_near, static_cast<double>(j + 1), q_far, x, inv_shape);
  }
  // p in [2^e, 2^(e+1)), e <= -(kTableBodyBits + 1): between tail points k + 1 (near) and k (far).
  const int exponent = static_cast<int>((double_bits(p) >> 52) & 0x7ff) - 1023;
  const int k = -(kTableBodyBits + 1) - exponent;
  if (k + 1 >= kTableTailPoints) {
    const double p_last = bits_double(static_cast<std::uint64_t>(1023 - (kTableBodyBits + kTableTailPoints - 1)) << 52);
    return interpolate_toward_end(0.0, end_value, p_last, tail[kTableTailPoints - 1], p, inv_shape);
  }
  const double octave_low = bits_double(static_cast<std::uint64_t>(exponent + 1023) << 52);
  return interpolate_toward_end(1.0, tail[k + 1], 2.0, tail[k], p / octave_low, inv_shape);  // p / octave_low exact
}

}  // namespace detail

// Q(u) of the tabulated quantile function of Beta(1 / inv_alpha, 1 / inv_beta)
// (layout in kernels/model.h), 0 < u < 1: each half is interpolated toward
// its own end of the support (detail::end_quantile).
CAPPLAN_HD_INLINE double table_quantile(const double* table, double u, double inv_alpha, double inv_beta) {
  const double* body = table;
  const double* lower_tail = table + kTableBodyIntervals + 1;
  const double* upper_tail = lower_tail + kTableTailPoints;
  if (u <= 0.5) return detail::end_quantile(body, lower_tail, u, false, inv_alpha);
  return detail::end_quantile(body, upper_tail, 1.0 - u, true, inv_beta);  // 1 - u exact (Sterbenz)
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
      return dist.a + (dist.b - dist.a) * table_quantile(tables + dist.table_offset, u, dist.c, dist.d);
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

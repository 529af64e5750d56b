// Exact binomial and Bernoulli sampling for the per-trial simulation.
//
// Host/device clean and bit-reproducible: only + - * /, sqrt, floor and the
// fmath functions are used (see kernels/fmath.h for the floating-point
// contract), so the CPU and CUDA backends draw identical variates from
// identical uniform streams.
//
// Algorithms:
//  - n * min(p, 1-p) < 10: inversion by sequential search from 0 with the pmf
//    recurrence f(k) = f(k-1) * ((n+1)/k - 1) * p/q (Kachitvichyanukul and
//    Schmeiser's BINV, Comm. ACM 31 (1988)); one uniform per variate unless a
//    rounding-level restart occurs.
//  - otherwise: BTRD, W. Hoermann, "The generation of binomial random
//    variates", J. Statist. Comput. Simul. 46 (1993) 101-110 (transformed
//    rejection with decomposition; measured 1.4 to 2.2 uniforms per variate,
//    more near n p = 10).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/fmath.h"
#include "kernels/hd.h"

namespace capplan {

// One Bernoulli(p) draw from the uniform u in (0, 1), in inverse-CDF form:
// true iff u > 1 - p. Monotone non-decreasing in u (for coupling and common
// random numbers); p <= 0 gives false and p >= 1 gives true for every u.
CAPPLAN_HD_INLINE bool sample_bernoulli(double p, double u) { return u > 1.0 - p; }

namespace binomial_detail {

// fc(k) = ln k! - [(k + 1/2) ln(k + 1) - (k + 1) + ln(2 pi)/2], the error of
// Stirling's formula for ln((k+1)!) - ln(k+1), as used by BTRD (Hoermann
// 1993, table for k < 10 and the series 1/12 - 1/360 m^-2 + 1/1260 m^-4 over
// m = k + 1 beyond, whose truncation error is below 1e-10 there).
CAPPLAN_HD_INLINE double stirling_tail(std::int64_t k) {
  switch (k) {
    case 0:
      return 0.08106146679532726;
    case 1:
      return 0.04134069595540929;
    case 2:
      return 0.02767792568499834;
    case 3:
      return 0.02079067210376509;
    case 4:
      return 0.01664469118982119;
    case 5:
      return 0.01387612882307075;
    case 6:
      return 0.01189670994589177;
    case 7:
      return 0.01041126526197209;
    case 8:
      return 0.009255462182712733;
    case 9:
      return 0.008330563433362871;
    default:
      break;
  }
  const double ikp1 = 1.0 / static_cast<double>(k + 1);
  const double ikp1_sq = ikp1 * ikp1;
  return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0) * ikp1_sq) * ikp1_sq) * ikp1;
}

// Binomial(n, p) by inversion; requires 0 < p <= 1/2 and n p < 10, so that
// q^n >= exp(-2 ln2 * 10) ~ 9.5e-7 never underflows. Each search is bounded
// by n and by the pmf term underflowing to 0 past the mode (about 200 steps
// at most in this regime). Running off that bound means u exceeded the
// computed CDF total, an event of rounding-level probability (~1e-15); u is
// then redrawn, which keeps the result exact in distribution, but at most
// max_redraws times so that even a degenerate uniform source (say, constant
// 1 - 2^-53) terminates, returning the end of the search.
template <class UniformSource>
CAPPLAN_HD_INLINE std::int64_t binomial_inversion(std::int64_t n, double p, UniformSource& next_uniform) {
  constexpr int max_redraws = 4;
  const double q = 1.0 - p;
  const double s = p / q;
  const double a = (static_cast<double>(n) + 1.0) * s;
  const double f0 = fmath::exp(static_cast<double>(n) * fmath::log1p(-p));  // q^n
  std::int64_t x = 0;
  for (int attempt = 0; attempt <= max_redraws; ++attempt) {
    double u = next_uniform();
    double f = f0;
    x = 0;
    for (;;) {
      if (u <= f) return x;
      if (x == n || f == 0.0) break;  // ran past the computed CDF total
      u -= f;
      ++x;
      f *= a / static_cast<double>(x) - s;
    }
  }
  return x;
}

// Binomial(n, p) by Hoermann's BTRD; requires 0 < p <= 1/2 and n p >= 10.
// Step numbers follow the paper.
template <class UniformSource>
CAPPLAN_HD_INLINE std::int64_t binomial_btrd(std::int64_t n, double p, UniformSource& next_uniform) {
  using std::fabs;
  using std::floor;
  const double nd = static_cast<double>(n);
  // Step 0: setup.
  const double q = 1.0 - p;
  const std::int64_t m = static_cast<std::int64_t>(floor((nd + 1.0) * p));  // mode
  const double md = static_cast<double>(m);
  const double r = p / q;
  const double nr = (nd + 1.0) * r;
  const double npq = nd * p * q;
  const double spq = std::sqrt(npq);
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = nd * p + 0.5;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double v_r = 0.92 - 4.2 / b;
  const double u_rv_r = 0.86 * v_r;

  for (;;) {
    // Step 1: the central box, accepted without any test (~86% of v_r).
    double v = next_uniform();
    double u;
    if (v <= u_rv_r) {
      u = v / v_r - 0.43;
      const double kd = floor((2.0 * a / (0.5 - fabs(u)) + b) * u + c);
      // |u| <= 0.43 keeps kd in [0, n] whenever n p >= 10; the check only
      // guards the integer conversion.
      if (kd >= 0.0 && kd <= nd) return static_cast<std::int64_t>(kd);
      continue;
    }
    // Step 2: a fresh point (u, v) outside the box.
    if (v >= v_r) {
      u = next_uniform() - 0.5;
    } else {
      u = v / v_r - 0.93;
      u = (u < 0.0 ? -0.5 : 0.5) - u;
      v = next_uniform() * v_r;
    }
    // Step 3.0: transform and reject points outside [0, n].
    const double us = 0.5 - fabs(u);
    if (!(us > 0.0)) continue;  // |u| rounded to 1/2: a null event, redraw
    const double kd = floor((2.0 * a / us + b) * u + c);
    if (kd < 0.0 || kd > nd) continue;
    const std::int64_t k = static_cast<std::int64_t>(kd);
    v = v * alpha / (a / (us * us) + b);
    const std::int64_t km = k > m ? k - m : m - k;
    if (km <= 15) {
      // Step 3.1: f(k)/f(m) by the pmf recurrence: f = prod_{i=m+1..k} (nr/i - r)
      // when m < k, else v is multiplied by prod_{i=k+1..m}. One loop serves
      // both directions (the same products in the same order, so the same
      // bits), so that GPU lanes on either side of the mode run it together.
      const bool above_mode = m < k;
      double product = above_mode ? 1.0 : v;
      const std::int64_t last = above_mode ? k : m;
      for (std::int64_t i = (above_mode ? m : k) + 1; i <= last; ++i) product *= nr / static_cast<double>(i) - r;
      const double f = above_mode ? product : 1.0;
      if (!above_mode) v = product;
      if (v <= f) return k;
      continue;
    }
    // Step 3.2: squeeze on log f(k)/f(m) with the normal approximation.
    v = fmath::log(v);
    const double kmd = static_cast<double>(km);
    const double rho = (kmd / npq) * (((kmd / 3.0 + 0.625) * kmd + 1.0 / 6.0) / npq + 0.5);
    const double t = -kmd * kmd / (2.0 * npq);
    if (v < t - rho) return k;
    if (v > t + rho) continue;
    // Steps 3.3 and 3.4: the exact log ratio via Stirling's formula.
    const double nm = nd - md + 1.0;
    const double h = (md + 0.5) * fmath::log((md + 1.0) / (r * nm)) + stirling_tail(m) + stirling_tail(n - m);
    const double nk = nd - kd + 1.0;
    if (v <= h + (nd + 1.0) * fmath::log(nm / nk) + (kd + 0.5) * fmath::log(nk * r / (kd + 1.0)) - stirling_tail(k) -
                 stirling_tail(n - k)) {
      return k;
    }
  }
}

}  // namespace binomial_detail

// One Binomial(n, p) variate, exact in distribution up to floating-point
// rounding. next_uniform() must return doubles strictly inside (0, 1) from a
// genuine random stream (BTRD is a rejection method: a degenerate source can
// keep it rejecting). The number of uniforms consumed varies: 1 for
// inversion, 1.4 to 2.2 on average for BTRD. n <= 0 or p <= 0 (or NaN) gives 0; p >= 1 gives n. p > 1/2 is
// sampled as n - Binomial(n, 1 - p) (1 - p is exact there).
template <class UniformSource>
CAPPLAN_HD_INLINE std::int64_t sample_binomial(std::int64_t n, double p, UniformSource& next_uniform) {
  if (n <= 0 || !(p > 0.0)) return 0;
  if (p >= 1.0) return n;
  const bool flip = p > 0.5;  // no recursion: keeps it inlinable in device code
  const double pp = flip ? 1.0 - p : p;
  const std::int64_t k = static_cast<double>(n) * pp < 10.0 ? binomial_detail::binomial_inversion(n, pp, next_uniform)
                                                            : binomial_detail::binomial_btrd(n, pp, next_uniform);
  return flip ? n - k : k;
}

}  // namespace capplan

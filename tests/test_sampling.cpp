// Tests of the inverse-CDF samplers (kernels/sampling.h), the random streams
// (kernels/rng.h) and how planner/engine/model_builder.cpp compiles distributions.
//
// Distributions are compiled by build_model from a Spec built in code (one
// tranche, the distribution under test in one of its fields), so the tests
// cover the parameters the model builder precomputes as well as the sampler.
//
// Reference values:
//  - closed forms (uniform, triangular CDF, Bernoulli, discrete weights);
//  - Boost.Math quantiles (normal, lognormal, ibeta_inv / ibetac_inv), which
//    are accurate to a few ulps and are independent of kernels/fmath.h;
//  - analytic moments for the Monte Carlo checks (formulas quoted at each).
//
// Monte Carlo checks use 200000 draws from single_uniform(seed, trial,
// stream) with a fixed seed, so they are deterministic. Each compares a
// sample mean or variance with the analytic value within 5 standard errors:
// a correct sampler fails one such check with probability 5.7e-7 (two-sided
// normal tail at 5 sigma), so the 42 moment checks below plus the one
// chi-square test (at 1 - 1e-6) together have a false-alarm rate below 3e-5
// under any seed (union bound), while a bias in a mean above
// 5 / sqrt(200000) = 1.1 % of the standard deviation is still detected.
#include <gtest/gtest.h>

#include "tests/spec_fixtures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "kernels/model.h"
#include "kernels/rng.h"
#include "kernels/sampling.h"
#include "planner/engine/model_builder.h"
#include "planner/spec/spec.h"

namespace {

using capplan::CompiledModel;
using capplan::DistParams;
using capplan::Distribution;
using Kind = capplan::Distribution::Kind;

constexpr double kPi = 3.14159265358979323846;
constexpr std::uint64_t kSeed = 0x5eed5eed12345678ULL;
constexpr int kDraws = 200000;
constexpr double kSigmas = 5.0;  // see the file comment

// ---- building distributions through build_model ----------------------------

Distribution dist(Kind kind, double a, double b = 0.0, double c = 0.0) {
  Distribution d;
  d.kind = kind;
  d.a = a;
  d.b = b;
  d.c = c;
  return d;
}

Distribution discrete(std::vector<double> values, std::vector<double> weights) {
  Distribution d;
  d.kind = Kind::discrete;
  d.values = std::move(values);
  d.weights = std::move(weights);
  return d;
}

// Which tranche field holds the distribution: its allowed range decides the truncation of a normal.
enum class Field { slip /* any real */, burn_in /* >= 0 */, acceptance /* [0, 1] */ };

struct Compiled {
  CompiledModel model;
  int slot = 0;

  const DistParams& params() const {
    return model.dists[static_cast<std::size_t>(model.slots[static_cast<std::size_t>(slot)].dist)];
  }
  std::uint32_t stream() const { return model.slots[static_cast<std::size_t>(slot)].stream_id; }
  double q(double u) const { return capplan::sample_quantile(params(), model.tables.data(), u); }
  double draw(std::uint32_t trial) const { return q(capplan::single_uniform(kSeed, trial, stream())); }
};

Compiled compile(const Distribution& d, Field field = Field::slip) {
  capplan::Spec spec = capplan::testing::base_spec(30);
  capplan::Tranche t = capplan::testing::tranche(spec, "t", 10, 5);
  if (field == Field::slip) t.delivery_slip_days = d;
  if (field == Field::burn_in) t.burn_in_days = d;
  if (field == Field::acceptance) t.acceptance = d;
  spec.tranches.push_back(t);

  Compiled c;
  c.model = capplan::build_model(spec);
  const std::string name = field == Field::slip      ? "tranche:t.slip"
                           : field == Field::burn_in ? "tranche:t.burn_in"
                                                     : "tranche:t.acceptance";
  const auto found = std::find(c.model.slot_names.begin(), c.model.slot_names.end(), name);
  EXPECT_NE(found, c.model.slot_names.end()) << name;
  c.slot = static_cast<int>(found - c.model.slot_names.begin());
  return c;
}

// Probabilities spread over (0, 1): a uniform grid plus both tails down to the
// smallest and largest uniform the streams produce (2^-53 and 1 - 2^-53; 2^-54 is probed too).
std::vector<double> probe_points() {
  std::vector<double> u;
  for (int i = 1; i < 20000; ++i) u.push_back(i / 20000.0);
  for (int k = 2; k <= 54; ++k) {
    for (double f : {1.0, 1.37, 1.81}) {
      const double v = std::ldexp(f, -k);
      if (v < 0.5) {
        u.push_back(v);
        if (1.0 - v < 1.0) u.push_back(1.0 - v);  // 1 - v rounds to 1 for v < 2^-53
      }
    }
  }
  u.push_back(std::ldexp(1.0, -54));
  u.push_back(1.0 - std::ldexp(1.0, -53));
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  return u;
}

// ---- sample moments ----------------------------------------------------------

struct Moments {
  double n = 0, mean = 0, var = 0, m4 = 0;  // var: unbiased; m4: 4th central moment
};

Moments moments(const std::vector<double>& x) {
  Moments m;
  m.n = static_cast<double>(x.size());
  double s = 0;
  for (double v : x) s += v;
  m.mean = s / m.n;
  double s2 = 0, s4 = 0;
  for (double v : x) {
    const double d = v - m.mean;
    s2 += d * d;
    s4 += d * d * d * d;
  }
  m.var = s2 / (m.n - 1);
  m.m4 = s4 / m.n;
  return m;
}

// Mean within 5 standard errors sqrt(var / n) of the analytic mean (analytic var),
// variance within 5 standard errors sqrt((mu4 - sigma^4) / n) of the analytic
// variance, mu4 estimated from the sample (consistent; n = 200000 makes its own
// error negligible for these light-tailed distributions).
void check_moments(const std::string& name, const std::vector<double>& x, double mean, double var) {
  const Moments m = moments(x);
  const double se_mean = std::sqrt(var / m.n);
  const double se_var = std::sqrt(std::max(m.m4 - m.var * m.var, 0.0) / m.n);
  std::printf("[ moments  ] %-28s mean %.6g (want %.6g, %+.2f se)  var %.6g (want %.6g, %+.2f se)\n", name.c_str(),
              m.mean, mean, (m.mean - mean) / se_mean, m.var, var, (m.var - var) / se_var);
  EXPECT_NEAR(m.mean, mean, kSigmas * se_mean) << name;
  EXPECT_NEAR(m.var, var, kSigmas * se_var) << name;
}

// n draws of c, from the stream named `stream` (each check its own stream, so
// the checks are independent rather than sharing one sequence of uniforms).
std::vector<double> draws(const Compiled& c, const std::string& stream, int n = kDraws) {
  const std::uint32_t id = capplan::stream_id_of(stream.c_str());
  std::vector<double> x(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    x[static_cast<std::size_t>(i)] = c.q(capplan::single_uniform(kSeed, static_cast<std::uint32_t>(i), id));
  return x;
}

double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * kPi); }
double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// ==== uniform ================================================================

// Reference: the uniform quantile a + u (b - a). One rounding in each of the
// product and the sum: 2 ulps of max(|a|, |b|) plus a little, hence 1e-15 relative.
TEST(Sampling, UniformQuantile) {
  const Compiled c = compile(dist(Kind::uniform, -3.0, 11.0));
  EXPECT_EQ(c.params().kind, capplan::kDistUniform);
  for (double u : probe_points()) {
    ASSERT_NEAR(c.q(u), -3.0 + 14.0 * u, 1e-15 * 11.0) << "u " << u;
  }
  // A degenerate uniform compiles to a constant.
  const Compiled k = compile(dist(Kind::uniform, 4.0, 4.0));
  EXPECT_EQ(k.params().kind, capplan::kDistConstant);
  EXPECT_EQ(k.q(0.3), 4.0);
}

// ==== triangular ===============================================================

// Reference: the triangular CDF F (closed form, e.g. Johnson, Kotz and
// Balakrishnan, Continuous Univariate Distributions vol. 2, ch. 26):
// F(x) = (x - a)^2 / ((c - a)(b - a)) for x <= b, 1 - (c - x)^2 / ((c - a)(c - b)) above.
// F(Q(u)) must give u back; the sqrt and products lose a few ulps, and F's
// slope is at most 2 / (c - a), so |F(Q(u)) - u| <= 1e-14 is generous but far
// below any formula error (a wrong branch or factor is off by >= 1e-3).
// Also Q against the closed-form inverse written independently here.
TEST(Sampling, TriangularQuantile) {
  struct Case {
    double a, m, c;
  };
  for (const Case& t : {Case{1.0, 2.0, 6.0}, Case{0.0, 0.0, 4.0}, Case{-5.0, 3.0, 3.0}, Case{10.0, 10.5, 30.0}}) {
    const Compiled c = compile(dist(Kind::triangular, t.a, t.m, t.c));
    ASSERT_EQ(c.params().kind, capplan::kDistTriangular);
    const double w = t.c - t.a;
    const double fm = (t.m - t.a) / w;
    double worst = 0.0;
    for (double u : probe_points()) {
      const double x = c.q(u);
      ASSERT_GE(x, t.a);
      ASSERT_LE(x, t.c);
      const double F = x <= t.m ? (t.m == t.a ? 0.0 : (x - t.a) * (x - t.a) / (w * (t.m - t.a)))
                                : (t.c == t.m ? 1.0 : 1.0 - (t.c - x) * (t.c - x) / (w * (t.c - t.m)));
      worst = std::max(worst, std::fabs(F - u));
      ASSERT_NEAR(F, u, 1e-14) << "triangular(" << t.a << "," << t.m << "," << t.c << ") u " << u << " x " << x;
      const double want = u < fm ? t.a + std::sqrt(u * w * (t.m - t.a)) : t.c - std::sqrt((1.0 - u) * w * (t.c - t.m));
      ASSERT_NEAR(x, want, 1e-14 * std::max(std::fabs(t.a), std::fabs(t.c))) << "u " << u;
    }
    std::printf("[ quantile ] triangular(%g, %g, %g): max |F(Q(u)) - u| = %.3g\n", t.a, t.m, t.c, worst);
  }
  // min == max compiles to a constant.
  const Compiled k = compile(dist(Kind::triangular, 2.0, 2.0, 2.0));
  EXPECT_EQ(k.params().kind, capplan::kDistConstant);
  EXPECT_EQ(k.q(0.9), 2.0);
}

// ==== normal and lognormal =======================================================

// Reference: boost::math::quantile of normal / lognormal. fmath::norm_inv is
// Wichura's AS241 (relative accuracy ~1e-16) and fmath::exp is < 1 ulp;
// Boost's quantiles are within a few ulps. Allowed: 1e-13 relative in the
// standard-normal z (plus 1e-13 absolute near z = 0), i.e. ~500 ulps, which
// still catches any coefficient or branch error (those are >= 1e-9); for
// the lognormal the z error is multiplied by sigma in the relative error of x.
TEST(Sampling, NormalQuantile) {
  for (const auto& ms : {std::pair<double, double>{0.0, 1.0}, {5.0, 2.0}, {-30.0, 0.25}}) {
    const Compiled c = compile(dist(Kind::normal, ms.first, ms.second));  // slip: not truncated
    ASSERT_EQ(c.params().kind, capplan::kDistNormal);
    EXPECT_EQ(c.params().u_lo, 0.0);
    EXPECT_EQ(c.params().u_span, 1.0);
    const boost::math::normal_distribution<double> ref(ms.first, ms.second);
    double worst = 0.0;
    for (double u : probe_points()) {
      const double z_got = (c.q(u) - ms.first) / ms.second;
      const double z_want = (boost::math::quantile(ref, u) - ms.first) / ms.second;
      const double err = std::fabs(z_got - z_want) / (1e-13 * (1.0 + std::fabs(z_want)));
      worst = std::max(worst, std::fabs(z_got - z_want) / (1.0 + std::fabs(z_want)));
      ASSERT_LE(err, 1.0) << "normal(" << ms.first << "," << ms.second << ") u " << u << " got " << c.q(u) << " want "
                          << boost::math::quantile(ref, u);
    }
    std::printf("[ quantile ] normal(%g, %g): max |dz| / (1 + |z|) = %.3g\n", ms.first, ms.second, worst);
  }
}

TEST(Sampling, LognormalQuantile) {
  for (const auto& ms : {std::pair<double, double>{1.0, 0.5}, {3.0, 1.5}, {-2.0, 0.1}}) {
    const Compiled c = compile(dist(Kind::lognormal, ms.first, ms.second), Field::burn_in);
    ASSERT_EQ(c.params().kind, capplan::kDistLognormal);
    const boost::math::lognormal_distribution<double> ref(ms.first, ms.second);
    double worst = 0.0;
    for (double u : probe_points()) {
      const double got = c.q(u);
      const double want = boost::math::quantile(ref, u);
      const double z = std::fabs(std::log(want) - ms.first) / ms.second;
      const double rel = std::fabs(got - want) / want;
      worst = std::max(worst, rel);
      // relative error of exp: 1 ulp plus sigma times the z error of norm_inv.
      ASSERT_LE(rel, 1e-15 + 1e-13 * ms.second * (1.0 + z))
          << "lognormal u " << u << " got " << got << " want " << want;
    }
    std::printf("[ quantile ] lognormal(mu %g, sigma %g): max relative error %.3g\n", ms.first, ms.second, worst);
  }
}

// ==== truncated normal ==========================================================

// A normal used for a non-negative field (burn_in_days) is truncated at 0,
// one used for a fraction (acceptance) to [0, 1] (docs/spec-format.md,
// "Allowed ranges and truncation"). Reference quantile, with Boost's normal
// CDF and quantile: z = Phi^-1(p), p = Phi(lo') + u (Phi(hi') - Phi(lo')),
// evaluated through the upper tail probability 1 - p when p > 1/2 so that the
// reference keeps full precision near 1.
// Tolerance: the documented formula rounds u' = u_lo + u u_span to a double
// (error <= 2 ulps of 1 = 4.5e-16 in u', and u_lo itself to a few ulps), which
// moves x by s 4.5e-16 / phi(z): that conditioning term, plus 1e-13 (1 + |z|)
// s for norm_inv. Checked where the true upper tail 1 - p >= 2^-51, i.e.
// where u' cannot round to 1; beyond that see
// DISABLED_TruncatedNormalTopStaysFinite.
struct TruncRef {
  double m, s, lo, hi;
  double F_lo, F_hi, Q_lo, Q_hi;  // CDF and upper tail at lo' and hi'
  TruncRef(double m_, double s_, double lo_, double hi_) : m(m_), s(s_), lo(lo_), hi(hi_) {
    const boost::math::normal_distribution<double> n01(0.0, 1.0);
    F_lo = boost::math::cdf(n01, (lo - m) / s);
    Q_lo = boost::math::cdf(boost::math::complement(n01, (lo - m) / s));
    F_hi = std::isfinite(hi) ? boost::math::cdf(n01, (hi - m) / s) : 1.0;
    Q_hi = std::isfinite(hi) ? boost::math::cdf(boost::math::complement(n01, (hi - m) / s)) : 0.0;
  }
  double mass() const { return F_lo < 0.5 ? F_hi - F_lo : Q_lo - Q_hi; }
  double upper(double u) const { return Q_hi + (1.0 - u) * mass(); }  // 1 - p
  double z(double u) const {
    const boost::math::normal_distribution<double> n01(0.0, 1.0);
    const double p = F_lo + u * mass();
    return p <= 0.5 ? boost::math::quantile(n01, p) : boost::math::quantile(boost::math::complement(n01, upper(u)));
  }
};

TEST(Sampling, TruncatedNormalQuantile) {
  struct Case {
    double m, s;
    Field field;
    double lo, hi;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (const Case& t : {Case{1.0, 2.0, Field::burn_in, 0.0, inf}, Case{-2.0, 1.0, Field::burn_in, 0.0, inf},
                        Case{-4.0, 1.0, Field::burn_in, 0.0, inf}, Case{5.0, 1.0, Field::burn_in, 0.0, inf},
                        Case{0.9, 0.1, Field::acceptance, 0.0, 1.0}, Case{0.5, 2.0, Field::acceptance, 0.0, 1.0},
                        Case{-3.0, 1.0, Field::acceptance, 0.0, 1.0}}) {
    const Compiled c = compile(dist(Kind::normal, t.m, t.s), t.field);
    ASSERT_EQ(c.params().kind, capplan::kDistNormal);
    const TruncRef ref(t.m, t.s, t.lo, t.hi);
    if (c.params().flags) {  // a range above the mean is sampled through the upper tail
      EXPECT_GT(ref.F_lo, 0.5);
      EXPECT_NEAR(c.params().u_lo, ref.Q_hi, 4e-16);
      EXPECT_NEAR(c.params().u_lo + c.params().u_span, ref.Q_lo, 4e-16 * ref.Q_lo + 1e-300);
    } else {
      EXPECT_NEAR(c.params().u_lo, ref.F_lo, 4e-16);
      EXPECT_NEAR(c.params().u_lo + c.params().u_span, ref.F_hi, 4e-16);
    }
    long checked = 0;
    for (double u : probe_points()) {
      if (ref.upper(u) < std::ldexp(1.0, -51)) continue;
      const double z = ref.z(u);
      const double want = t.m + t.s * z;
      const double density = std::exp(-0.5 * z * z) / std::sqrt(2.0 * kPi);
      const double allowed = t.s * (1e-13 * (1.0 + std::fabs(z)) + 4.5e-16 / density);
      ASSERT_NEAR(c.q(u), want, allowed) << "normal(" << t.m << "," << t.s << ") u " << u;
      ++checked;
    }
    EXPECT_GT(checked, 20000);
  }
}

// normal(-2, 1) truncated at 0 (burn_in_days; kept mass 2.3 %, the loader
// accepts down to 1e-6): sampled as u_lo + u u_span with u_lo = Phi(2) = 0.977,
// every u above 1 - 2.4e-15 (the streams produce u = 1 - 2^-53) would round
// to 1.0 and norm_inv(1) = +inf. The sampler therefore draws a range above the
// mean through its upper tail, x = m - s Phi^-1(Q_hi + (1 - u) (Q_lo - Q_hi)),
// where the probabilities are small and resolved finely.
TEST(Sampling, TruncatedNormalTopStaysFinite) {
  for (double m : {-2.0, -4.0}) {
    const Compiled c = compile(dist(Kind::normal, m, 1.0), Field::burn_in);
    const TruncRef ref(m, 1.0, 0.0, std::numeric_limits<double>::infinity());
    for (double u : {1.0 - std::ldexp(1.0, -53), 1.0 - 1e-15, 1.0 - 1e-13}) {
      const double x = c.q(u);
      EXPECT_TRUE(std::isfinite(x)) << "normal(" << m << ", 1) >= 0 at u = 1 - " << 1.0 - u;
      EXPECT_NEAR(x, m + ref.z(u), 0.5) << "normal(" << m << ", 1) >= 0 at u = 1 - " << 1.0 - u;
    }
  }
}

// Every draw of a truncated normal lies in its range: 200000 stream draws
// (exact check) and the extreme uniforms the streams produce (2^-53 and below, and
// 1 - 2^-53), which map to u' = u_lo + u u_span == u_lo (the product is below
// half an ulp of u_lo) and u_lo + u_span. There the result can be a rounding
// error outside the range (norm_inv(Phi(z)) != z in the last bits): allowed
// here is 1e-14 s, far below any real truncation error; the exact check is
// DISABLED_TruncatedNormalExtremesExactlyInRange below.
struct TruncCase {
  double m, s;
  Field field;
  double lo, hi;
};
std::vector<TruncCase> trunc_cases() {
  const double inf = std::numeric_limits<double>::infinity();
  return {TruncCase{1.0, 2.0, Field::burn_in, 0.0, inf}, TruncCase{-2.0, 1.0, Field::burn_in, 0.0, inf},
          TruncCase{-4.0, 1.0, Field::burn_in, 0.0, inf}, TruncCase{0.9, 0.1, Field::acceptance, 0.0, 1.0},
          TruncCase{0.99, 0.05, Field::acceptance, 0.0, 1.0}};
}
const double kExtremeUniforms[] = {std::ldexp(1.0, -54), std::ldexp(1.0, -40), 0.5, 1.0 - std::ldexp(1.0, -40),
                                   1.0 - std::ldexp(1.0, -53)};

TEST(Sampling, TruncatedNormalStaysInRange) {
  for (const TruncCase& t : trunc_cases()) {
    const Compiled c = compile(dist(Kind::normal, t.m, t.s), t.field);
    for (double u : kExtremeUniforms) {
      const double x = c.q(u);
      EXPECT_GE(x, t.lo - 1e-14 * t.s) << "normal(" << t.m << "," << t.s << ") u " << u;
      EXPECT_LE(x, t.hi + 1e-14 * t.s) << "normal(" << t.m << "," << t.s << ") u " << u;
    }
    for (std::uint32_t i = 0; i < kDraws; ++i) {
      const double x = c.draw(i);
      ASSERT_TRUE(std::isfinite(x)) << "normal(" << t.m << "," << t.s << ") trial " << i;
      ASSERT_GE(x, t.lo) << "normal(" << t.m << "," << t.s << ") trial " << i;
      ASSERT_LE(x, t.hi) << "normal(" << t.m << "," << t.s << ") trial " << i;
    }
  }
}

// At the extreme uniforms m + s z can land a rounding error outside the range
// (norm_inv(Phi(z)) != z in the last bits); the sampler clamps to the range,
// so "truncated at 0" holds exactly.
TEST(Sampling, TruncatedNormalExtremesExactlyInRange) {
  for (const TruncCase& t : trunc_cases()) {
    const Compiled c = compile(dist(Kind::normal, t.m, t.s), t.field);
    for (double u : kExtremeUniforms) {
      EXPECT_GE(c.q(u), t.lo) << "normal(" << t.m << "," << t.s << ") u " << u;
      EXPECT_LE(c.q(u), t.hi) << "normal(" << t.m << "," << t.s << ") u " << u;
    }
  }
}

// Moments of the normal truncated below at 0 (Johnson, Kotz and Balakrishnan
// vol. 1, ch. 13.10): with alpha = -m / s and lambda = phi(alpha) / (1 - Phi(alpha)),
// mean = m + s lambda, var = s^2 (1 + alpha lambda - lambda^2); and the doubly
// truncated [0, 1] case with alpha, beta: mean = m + s (phi(alpha) - phi(beta)) / Z,
// var = s^2 (1 + (alpha phi(alpha) - beta phi(beta)) / Z - ((phi(alpha) - phi(beta)) / Z)^2),
// Z = Phi(beta) - Phi(alpha).
TEST(SamplingMonteCarlo, TruncatedNormalMoments) {
  for (const auto& ms : {std::pair<double, double>{1.0, 2.0}, {-2.0, 1.0}}) {
    const Compiled c = compile(dist(Kind::normal, ms.first, ms.second), Field::burn_in);
    const double alpha = -ms.first / ms.second;
    const double lambda = phi(alpha) / (1.0 - Phi(alpha));
    const double mean = ms.first + ms.second * lambda;
    const double var = ms.second * ms.second * (1.0 + alpha * lambda - lambda * lambda);
    const std::string name = "normal(" + std::to_string(ms.first) + "," + std::to_string(ms.second) + ") >= 0";
    check_moments(name, draws(c, name), mean, var);
  }
  {
    const double m = 0.8, s = 0.3;
    const Compiled c = compile(dist(Kind::normal, m, s), Field::acceptance);
    const double al = (0.0 - m) / s, be = (1.0 - m) / s;
    const double Z = Phi(be) - Phi(al);
    const double d = (phi(al) - phi(be)) / Z;
    const double mean = m + s * d;
    const double var = s * s * (1.0 + (al * phi(al) - be * phi(be)) / Z - d * d);
    check_moments("normal(0.8,0.3) in [0,1]", draws(c, "normal(0.8,0.3) in [0,1]"), mean, var);
  }
}

// operations.repair_days enters the model only through its mean (the daily
// down probability q = f r / (1 + f r), model_builder.cpp), and for a normal
// "the mean is that of the truncated distribution" (docs/spec-format.md,
// "Allowed ranges and truncation"): normal(1, 2) truncated at 0 has mean
// r = 1 + 2 phi(-0.5) / (1 - Phi(-0.5)) = 2.01832 (formula as in
// TruncatedNormalMoments), not the untruncated 1. Tolerance 1e-12: both sides
// evaluate the same closed form with erfc/exp, a few ulps apart.
TEST(Sampling, RepairDaysUsesTruncatedMean) {
  capplan::Spec spec;
  spec.source_file = "test_sampling";
  spec.horizon.start = 0;
  spec.horizon.end = 29;
  capplan::System rack;
  rack.id = "rack";
  rack.accelerators = 8;
  spec.systems.push_back(rack);
  spec.operations.failures_per_accelerator_day = 1e-3;
  spec.operations.repair_days = dist(Kind::normal, 1.0, 2.0);
  const CompiledModel model = capplan::build_model(spec);
  ASSERT_EQ(model.systems.size(), 1u);
  const double alpha = -0.5;
  const double r = 1.0 + 2.0 * phi(alpha) / (1.0 - Phi(alpha));
  const double fr = 1e-3 * 8 * r;
  EXPECT_NEAR(model.systems[0].down_probability, fr / (1.0 + fr), 1e-12);
}

// ==== beta and PERT tables ======================================================

// The tabulated quantile function (kernels/model.h layout: 4096 body
// intervals, then 42 points per tail at u = 2^-(12+k)) against Boost's
// ibeta_inv (u <= 1/2) and ibetac_inv(1 - u) (u > 1/2, where 1 - u is exact),
// in units of the distribution's range (max - min). Errors are measured
// separately for
//  - the central body, u in [1/32, 31/32];
//  - the body next to the tails, u in [2^-12, 1/32) and (31/32, 1 - 2^-12];
//  - the tails, 2^-53 <= u < 2^-12 and 2^-53 <= 1 - u < 2^-12;
//  - u = 2^-54, the smallest uniform the streams produce, between the end of
//    the support and the last tail point 2^-53.
// Between points the table interpolates linearly in p^(1/shape), p the
// distance to the nearer end and shape = alpha (lower end) or beta (upper):
// near an end Q(u) - Q(end) ~ C p^(1/shape) (an infinite slope where the
// density vanishes there, e.g. every PERT with mode strictly inside), which
// that interpolation follows exactly; what remains is the next term of the
// expansion. Linear interpolation in u, used before, was off by up to 2e-3
// of the range near the ends for the same cases.
// The bounds asserted are about 2x the values measured when the test was
// written (printed as "[ table ]" lines, for docs), so that a regression in
// the table layout or the interpolation fails.
struct TableErrors {
  double center = 0, edge = 0, tail = 0, lowest = 0;
  double center_u = 0, edge_u = 0, tail_u = 0;
};

TableErrors measure_table(const Compiled& c, double alpha, double beta, double lo, double hi) {
  TableErrors e;
  const double range = hi - lo;
  auto reference = [&](double u) {
    return u <= 0.5 ? boost::math::ibeta_inv(alpha, beta, u) : boost::math::ibetac_inv(alpha, beta, 1.0 - u);
  };
  auto error = [&](double u) { return std::fabs((c.q(u) - lo) / range - reference(u)); };
  auto record = [&](double u, double& worst, double& worst_u) {
    const double err = error(u);
    if (err > worst) {
      worst = err;
      worst_u = u;
    }
  };
  const int n = capplan::kTableBodyIntervals;
  for (int i = 1; i < n - 1; ++i) {
    for (double f : {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875}) {
      const double u = (i + f) / n;
      if (u >= 1.0 / 32 && u <= 31.0 / 32) {
        record(u, e.center, e.center_u);
      } else {
        record(u, e.edge, e.edge_u);
      }
    }
  }
  record(static_cast<double>(n - 1) / n, e.edge, e.edge_u);  // last body point, 1 - 2^-12
  for (int k = capplan::kTableBodyBits; k < 53; ++k) {
    for (double f : {1.0, 1.0625, 1.125, 1.25, 1.375, 1.5, 1.625, 1.75, 1.875, 1.9375}) {
      const double v = std::ldexp(f, -(k + 1));  // in [2^-(k+1), 2^-k), >= 2^-53
      record(v, e.tail, e.tail_u);
      record(1.0 - v, e.tail, e.tail_u);
    }
  }
  e.lowest = error(std::ldexp(1.0, -54));
  return e;
}

struct BetaCase {
  const char* name;
  Distribution d;
  Field field;
  double alpha, beta, lo, hi;
  double max_edge, max_tail;  // asserted bounds, in units of the range (the central body: 1e-7 for all)
};

std::vector<BetaCase> beta_cases() {
  // PERT alpha = 1 + 4 (mode - min) / (max - min), beta = 1 + 4 (max - mode) / (max - min).
  return {
      {"beta(2, 5)", dist(Kind::beta, 2.0, 5.0), Field::acceptance, 2.0, 5.0, 0.0, 1.0, 5e-5, 4e-5},
      {"beta(0.5, 0.5)", dist(Kind::beta, 0.5, 0.5), Field::acceptance, 0.5, 0.5, 0.0, 1.0, 1e-9, 1e-12},
      {"beta(0.8, 3)", dist(Kind::beta, 0.8, 3.0), Field::acceptance, 0.8, 3.0, 0.0, 1.0, 1e-5, 6e-6},
      {"beta(45.6, 2.4)", dist(Kind::beta, 45.6, 2.4), Field::acceptance, 45.6, 2.4, 0.0, 1.0, 4e-5, 3e-5},
      {"pert(0, 5, 10)", dist(Kind::pert, 0.0, 5.0, 10.0), Field::slip, 3.0, 3.0, 0.0, 10.0, 2e-5, 1e-5},
      {"pert(-3, 2, 30)", dist(Kind::pert, -3.0, 2.0, 30.0), Field::slip, 1.0 + 4.0 * 5.0 / 33.0,
       1.0 + 4.0 * 28.0 / 33.0, -3.0, 30.0, 3e-5, 2e-5},
      {"pert(0, 0, 10)", dist(Kind::pert, 0.0, 0.0, 10.0), Field::slip, 1.0, 5.0, 0.0, 10.0, 3e-9, 1e-9},
      {"pert(0, 10, 10)", dist(Kind::pert, 0.0, 10.0, 10.0), Field::slip, 5.0, 1.0, 0.0, 10.0, 3e-9, 1e-9},
  };
}

TEST(Sampling, BetaAndPertTables) {
  for (const BetaCase& bc : beta_cases()) {
    const Compiled c = compile(bc.d, bc.field);
    ASSERT_EQ(c.params().kind, capplan::kDistTable) << bc.name;
    ASSERT_EQ(c.params().table_size, capplan::kTableSize) << bc.name;
    EXPECT_EQ(c.params().a, bc.lo) << bc.name;
    EXPECT_EQ(c.params().b, bc.hi) << bc.name;
    const TableErrors e = measure_table(c, bc.alpha, bc.beta, bc.lo, bc.hi);
    std::printf(
        "[ table    ] %-16s max |error| / range: body [1/32, 31/32] %.2e (u=%.5f)  body ends %.2e (u=%.6g)  "
        "tails >= 2^-53 %.2e (min(u, 1-u)=%.3g)  at u = 2^-54 %.2e\n",
        bc.name, e.center, e.center_u, e.edge, e.edge_u, e.tail, std::min(e.tail_u, 1.0 - e.tail_u), e.lowest);
    ::testing::Test::RecordProperty(std::string("table_error_body_center ") + bc.name, std::to_string(e.center));
    ::testing::Test::RecordProperty(std::string("table_error_body_ends ") + bc.name, std::to_string(e.edge));
    ::testing::Test::RecordProperty(std::string("table_error_tails ") + bc.name, std::to_string(e.tail));
    EXPECT_LT(e.center, 1e-7) << bc.name;
    EXPECT_LT(e.edge, bc.max_edge) << bc.name;
    EXPECT_LT(e.tail, bc.max_tail) << bc.name;
    EXPECT_LT(e.lowest, 3e-4) << bc.name;
  }
}

// The table's quantile is non-decreasing in u (including across the
// tail/body seams at 2^-12 and 1 - 2^-12) and stays inside [min, max].
TEST(Sampling, TableQuantileMonotoneAndBounded) {
  for (const BetaCase& bc : beta_cases()) {
    const Compiled c = compile(bc.d, bc.field);
    std::vector<double> u = probe_points();
    for (double seam : {std::ldexp(1.0, -12), 1.0 - std::ldexp(1.0, -12)}) {
      double below = seam, above = seam;
      for (int i = 0; i < 8; ++i) {
        below = std::nextafter(below, 0.0);
        above = std::nextafter(above, 1.0);
        u.push_back(below);
        u.push_back(above);
      }
      u.push_back(seam);
    }
    std::sort(u.begin(), u.end());
    double previous = -std::numeric_limits<double>::infinity();
    for (double p : u) {
      const double x = c.q(p);
      ASSERT_GE(x, bc.lo) << bc.name << " u " << p;
      ASSERT_LE(x, bc.hi) << bc.name << " u " << p;
      ASSERT_GE(x, previous) << bc.name << " u " << p;
      previous = x;
    }
  }
  // PERT with min == max is the constant min.
  const Compiled k = compile(dist(Kind::pert, 7.0, 7.0, 7.0));
  EXPECT_EQ(k.params().kind, capplan::kDistConstant);
  EXPECT_EQ(k.q(0.5), 7.0);
}

// One PERT in the spec: exactly one table of kTableSize entries (layout in kernels/model.h).
TEST(Sampling, TableSize) {
  const Compiled a = compile(dist(Kind::pert, 0.0, 5.0, 10.0));
  EXPECT_EQ(a.model.tables.size(), static_cast<std::size_t>(capplan::kTableSize));
  EXPECT_EQ(a.params().table_offset, 0);
}

// ==== discrete and Bernoulli ======================================================

// Reference: the inverse CDF as documented ("the first value, in the order
// written, whose cumulative probability reaches u"): exact boundaries.
TEST(Sampling, DiscreteInverseCdf) {
  const Compiled c = compile(discrete({3.0, -7.0, 11.0, 2.0}, {1.0, 2.0, 3.0, 4.0}));
  ASSERT_EQ(c.params().kind, capplan::kDistDiscrete);
  ASSERT_EQ(c.params().table_size, 4);
  const double cum[4] = {0.1, 0.3, 0.6, 1.0};
  const double values[4] = {3.0, -7.0, 11.0, 2.0};
  const double* table = c.model.tables.data() + c.params().table_offset;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(table[i], cum[i], 1e-16) << i;
  EXPECT_EQ(table[3], 1.0);  // the last cumulative is exactly 1 whatever the rounding
  for (int i = 0; i < 4; ++i) {
    const double at = table[i];
    EXPECT_EQ(c.q(at), values[i]) << "u at boundary " << i;
    if (i < 3) {
      EXPECT_EQ(c.q(std::nextafter(at, 1.0)), values[i + 1]) << "u just above boundary " << i;
    }
  }
  EXPECT_EQ(c.q(std::ldexp(1.0, -54)), 3.0);
  EXPECT_EQ(c.q(1.0 - std::ldexp(1.0, -53)), 2.0);
  // One value: always that value.
  const Compiled one = compile(discrete({42.0}, {0.3}));
  for (double u : {1e-9, 0.5, 1.0 - 1e-9}) EXPECT_EQ(one.q(u), 42.0);
}

// Frequencies vs weights: Pearson chi-square over 200000 draws with k - 1 = 4
// degrees of freedom, against Boost's chi-square quantile at 1 - 1e-6 (the
// same false-alarm level as the 5-sigma moment checks). Weights that do not
// sum to 1 exercise the normalisation.
TEST(SamplingMonteCarlo, DiscreteFrequencies) {
  const std::vector<double> values = {0.0, 5.0, 10.0, 20.0, 40.0};
  const std::vector<double> weights = {0.5, 3.0, 1.0, 2.5, 0.01};
  const Compiled c = compile(discrete(values, weights));
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> counts(values.size(), 0.0);
  for (std::uint32_t i = 0; i < kDraws; ++i) {
    const double x = c.draw(i);
    const auto it = std::find(values.begin(), values.end(), x);
    ASSERT_NE(it, values.end()) << x;
    counts[static_cast<std::size_t>(it - values.begin())] += 1.0;
  }
  double chi2 = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double expected = kDraws * weights[i] / total;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  const boost::math::chi_squared_distribution<double> ref(static_cast<double>(values.size() - 1));
  const double critical = boost::math::quantile(boost::math::complement(ref, 1e-6));
  std::printf("[ discrete ] chi-square %.3f (critical %.3f at 1 - 1e-6, df %zu)\n", chi2, critical, values.size() - 1);
  EXPECT_LT(chi2, critical);
}

// Reference: the model's rule "1 if u > 1 - a else 0" (kernels/model.h), at
// the exact boundary and one ulp above it, and the degenerate 0 and 1.
TEST(Sampling, BernoulliRule) {
  DistParams p;
  p.kind = capplan::kDistBernoulli;
  for (double prob : {0.3, 0.5, 0.999, 1e-6}) {
    p.a = prob;
    const double edge = 1.0 - prob;
    EXPECT_EQ(capplan::sample_quantile(p, nullptr, edge), 0.0) << prob;
    EXPECT_EQ(capplan::sample_quantile(p, nullptr, std::nextafter(edge, 1.0)), 1.0) << prob;
    EXPECT_EQ(capplan::sample_quantile(p, nullptr, std::nextafter(edge, 0.0)), 0.0) << prob;
  }
  p.a = 0.0;
  EXPECT_EQ(capplan::sample_quantile(p, nullptr, 1.0 - std::ldexp(1.0, -53)), 0.0);
  p.a = 1.0;
  EXPECT_EQ(capplan::sample_quantile(p, nullptr, std::ldexp(1.0, -54)), 1.0);
}

// ==== Monte Carlo moments ==========================================================

// Analytic moments (see the file comment for the 5-sigma rule):
//  uniform(a, b): (a + b) / 2, (b - a)^2 / 12
//  triangular(a, m, c): (a + m + c) / 3, (a^2 + m^2 + c^2 - a m - a c - m c) / 18
//  PERT(a, m, c) = a + (c - a) Beta(alpha, beta), alpha + beta = 6:
//    (a + 4 m + c) / 6, (mean - a)(c - mean) / 7
//  normal(m, s): m, s^2
//  lognormal(mu, s): exp(mu + s^2 / 2), (exp(s^2) - 1) exp(2 mu + s^2)
//  beta(a, b): a / (a + b), a b / ((a + b)^2 (a + b + 1))
//  discrete: sum w v / sum w and the weighted variance
//  Bernoulli(p): p, p (1 - p)
TEST(SamplingMonteCarlo, Moments) {
  {
    const Compiled c = compile(dist(Kind::uniform, 2.0, 10.0));
    check_moments("uniform(2, 10)", draws(c, "uniform(2, 10)"), 6.0, 64.0 / 12.0);
  }
  for (const auto& t : {std::array<double, 3>{1.0, 2.0, 6.0}, std::array<double, 3>{0.0, 0.0, 4.0},
                        std::array<double, 3>{-1.0, 3.0, 3.0}}) {
    const double a = t[0], m = t[1], c3 = t[2];
    const Compiled c = compile(dist(Kind::triangular, a, m, c3));
    const std::string name =
        "triangular(" + std::to_string(a) + "," + std::to_string(m) + "," + std::to_string(c3) + ")";
    check_moments(name, draws(c, name), (a + m + c3) / 3.0, (a * a + m * m + c3 * c3 - a * m - a * c3 - m * c3) / 18.0);
  }
  for (const auto& t : {std::array<double, 3>{0.0, 2.0, 10.0}, std::array<double, 3>{-3.0, 2.0, 30.0},
                        std::array<double, 3>{0.0, 0.0, 10.0}}) {
    const double a = t[0], m = t[1], c3 = t[2];
    const Compiled c = compile(dist(Kind::pert, a, m, c3));
    const double mean = (a + 4.0 * m + c3) / 6.0;
    const std::string name = "pert(" + std::to_string(a) + "," + std::to_string(m) + "," + std::to_string(c3) + ")";
    check_moments(name, draws(c, name), mean, (mean - a) * (c3 - mean) / 7.0);
  }
  {
    const Compiled c = compile(dist(Kind::normal, 5.0, 2.0));  // slip: untruncated
    check_moments("normal(5, 2)", draws(c, "normal(5, 2)"), 5.0, 4.0);
  }
  for (const auto& ms : {std::pair<double, double>{1.0, 0.5}, {0.0, 0.25}}) {
    const Compiled c = compile(dist(Kind::lognormal, ms.first, ms.second), Field::burn_in);
    const double s2 = ms.second * ms.second;
    const std::string name = "lognormal(" + std::to_string(ms.first) + "," + std::to_string(ms.second) + ")";
    check_moments(name, draws(c, name), std::exp(ms.first + 0.5 * s2),
                  (std::exp(s2) - 1.0) * std::exp(2.0 * ms.first + s2));
  }
  for (const auto& ab : {std::pair<double, double>{2.0, 5.0}, {0.5, 0.5}, {45.6, 2.4}}) {
    const Compiled c = compile(dist(Kind::beta, ab.first, ab.second), Field::acceptance);
    const double s = ab.first + ab.second;
    const std::string name = "beta(" + std::to_string(ab.first) + "," + std::to_string(ab.second) + ")";
    check_moments(name, draws(c, name), ab.first / s, ab.first * ab.second / (s * s * (s + 1.0)));
  }
  {
    const std::vector<double> values = {1.0, 4.0, 9.0};
    const std::vector<double> weights = {2.0, 1.0, 1.0};
    const Compiled c = compile(discrete(values, weights));
    const double mean = (2.0 * 1.0 + 4.0 + 9.0) / 4.0;
    const double var =
        (2.0 * (1.0 - mean) * (1.0 - mean) + (4.0 - mean) * (4.0 - mean) + (9.0 - mean) * (9.0 - mean)) / 4.0;
    check_moments("discrete{1,4,9 | 2,1,1}", draws(c, "discrete{1,4,9 | 2,1,1}"), mean, var);
  }
  {
    DistParams p;
    p.kind = capplan::kDistBernoulli;
    p.a = 0.3;
    std::vector<double> x(kDraws);
    const std::uint32_t stream = capplan::stream_id_of("risk:r.occurs");
    for (int i = 0; i < kDraws; ++i) {
      x[static_cast<std::size_t>(i)] =
          capplan::sample_quantile(p, nullptr, capplan::single_uniform(kSeed, static_cast<std::uint32_t>(i), stream));
    }
    check_moments("bernoulli(0.3)", x, 0.3, 0.21);
  }
}

// ==== round_days ===================================================================

// Reference: the header's rule, "x.5 rounding up" (round half towards +inf),
// clamped to +-10^7, NaN to -10^7.
TEST(Sampling, RoundDays) {
  using capplan::round_days;
  EXPECT_EQ(round_days(2.5), 3);
  EXPECT_EQ(round_days(2.49), 2);
  EXPECT_EQ(round_days(2.51), 3);
  EXPECT_EQ(round_days(-2.5), -2);
  EXPECT_EQ(round_days(-2.51), -3);
  EXPECT_EQ(round_days(-2.49), -2);
  EXPECT_EQ(round_days(0.0), 0);
  EXPECT_EQ(round_days(-0.0), 0);
  EXPECT_EQ(round_days(0.5), 1);
  EXPECT_EQ(round_days(-0.5), 0);
  EXPECT_EQ(round_days(1e-300), 0);
  EXPECT_EQ(round_days(-1e-300), 0);
  EXPECT_EQ(round_days(9999999.4), 9999999);
  EXPECT_EQ(round_days(1.0e7), 10000000);
  EXPECT_EQ(round_days(-1.0e7), -10000000);
  EXPECT_EQ(round_days(1.0e7 + 1.0), 10000000);
  EXPECT_EQ(round_days(-1.0e7 - 1.0), -10000000);
  EXPECT_EQ(round_days(1e300), 10000000);
  EXPECT_EQ(round_days(-1e300), -10000000);
  EXPECT_EQ(round_days(std::numeric_limits<double>::infinity()), 10000000);
  EXPECT_EQ(round_days(-std::numeric_limits<double>::infinity()), -10000000);
  EXPECT_EQ(round_days(std::numeric_limits<double>::quiet_NaN()), -10000000);
  EXPECT_EQ(round_days(-std::numeric_limits<double>::quiet_NaN()), -10000000);
  // Every k + 0.5 rounds up and every value just below it rounds down.
  for (int k = -1000; k <= 1000; ++k) {
    const double half = k + 0.5;
    ASSERT_EQ(round_days(half), k + 1) << half;
    if (k != 0) {  // k == 0: see RoundDaysJustBelowHalf
      ASSERT_EQ(round_days(std::nextafter(half, -1e9)), k) << half;
    }
  }
}

// The largest double below 0.5 (0.5 - 2^-54) must round to 0; floor(x + 0.5)
// would round x + 0.5 = 1 - 2^-54 to 1.0 first, so round_days compares the
// exact fractional part x - floor(x) with 0.5 instead.
TEST(Sampling, RoundDaysJustBelowHalf) { EXPECT_EQ(capplan::round_days(std::nextafter(0.5, 0.0)), 0); }

// ==== uniforms and streams ==========================================================

// (m + 0.5) 2^-52 for the 52 bits m = high:low>>12 (kernels/rng.h).
TEST(Rng, BitsToOpenUniformValues) {
  using capplan::bits_to_open_uniform;
  EXPECT_EQ(bits_to_open_uniform(0u, 0u), std::ldexp(1.0, -53));
  EXPECT_EQ(bits_to_open_uniform(0u, 0xfffu), std::ldexp(1.0, -53));  // low 12 bits ignored
  EXPECT_EQ(bits_to_open_uniform(0u, 0x1000u), 1.5 * std::ldexp(1.0, -52));
  EXPECT_EQ(bits_to_open_uniform(0x80000000u, 0u), 0.5 + std::ldexp(1.0, -53));
  EXPECT_GT(bits_to_open_uniform(0u, 0u), 0.0);
  // m < 2^52, so m + 0.5 is exact: results are strictly inside (0, 1) and distinct.
  EXPECT_LT(bits_to_open_uniform(0x7fffffffu, 0xffffffffu), 0.5);
  EXPECT_EQ(bits_to_open_uniform(0xffffffffu, 0xffffffffu), 1.0 - std::ldexp(1.0, -53));
}

// All-one bits must not give 1.0 (with 53 bits, m + 0.5 = 2^53 - 0.5 would
// round to 2^53 and the draw to exactly 1, and an untruncated normal to +inf).
TEST(Rng, BitsToOpenUniformNeverOne) {
  const double u = capplan::bits_to_open_uniform(0xffffffffu, 0xffffffffu);
  EXPECT_LT(u, 1.0);
  EXPECT_GT(u, 0.0);
}

// Reference: Random123's known-answer vector (kat_vectors, "philox4x32 10",
// counter and key all zero -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8): the first
// two uniforms of (seed 0, trial 0, stream 0, event 0) come from those words.
TEST(Rng, PhiloxKnownAnswer) {
  capplan::UniformStream stream(0, 0, 0, 0);
  EXPECT_EQ(stream(), capplan::bits_to_open_uniform(0x6627e8d5u, 0xe169c58du));
  EXPECT_EQ(stream(), capplan::bits_to_open_uniform(0xbc57ac4cu, 0x9b00dbd8u));
  EXPECT_EQ(capplan::single_uniform(0, 0, 0), capplan::bits_to_open_uniform(0x6627e8d5u, 0xe169c58du));
}

// The documented counter layout: key = 64-bit seed (low word first), counter =
// {trial, stream id, event, block index}; two uniforms per block.
TEST(Rng, StreamFollowsCounterLayout) {
  const std::uint64_t seed = 0x0123456789abcdefULL;
  for (std::uint32_t trial : {0u, 7u, 0xffffffffu}) {
    capplan::UniformStream stream(seed, trial, 0xdeadbeefu, 3u);
    r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    for (std::uint32_t block = 0; block < 6; ++block) {
      r123::Philox4x32::ctr_type ctr = {{trial, 0xdeadbeefu, 3u, block}};
      const auto out = r123::Philox4x32()(ctr, key);
      EXPECT_EQ(stream(), capplan::bits_to_open_uniform(out.v[0], out.v[1])) << trial << " " << block;
      EXPECT_EQ(stream(), capplan::bits_to_open_uniform(out.v[2], out.v[3])) << trial << " " << block;
    }
  }
}

std::vector<double> first_values(std::uint64_t seed, std::uint32_t trial, std::uint32_t stream_id,
                                 std::uint32_t event) {
  capplan::UniformStream stream(seed, trial, stream_id, event);
  std::vector<double> v(16);
  for (double& x : v) x = stream();
  return v;
}

// Same key -> same values; changing any one of seed (low or high word), trial,
// stream id or event changes every value (16 draws; a coincidence of one
// 53-bit value has probability ~2^-53).
TEST(Rng, StreamDeterminismAndIndependence) {
  const std::uint64_t seed = 42;
  const auto base = first_values(seed, 5, 1234, 0);
  EXPECT_EQ(base, first_values(seed, 5, 1234, 0));
  const std::vector<std::vector<double>> others = {
      first_values(seed + 1, 5, 1234, 0), first_values(seed | (std::uint64_t(1) << 40), 5, 1234, 0),
      first_values(seed, 6, 1234, 0),     first_values(seed, 5, 1235, 0),
      first_values(seed, 5, 1234, 1),     first_values(seed, 1234, 5, 0)};
  for (std::size_t k = 0; k < others.size(); ++k) {
    for (std::size_t i = 0; i < base.size(); ++i) {
      EXPECT_NE(base[i], others[k][i]) << "variant " << k << " draw " << i;
    }
  }
  // Within a stream all 16 values differ.
  std::vector<double> sorted = base;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  for (double u : base) {
    EXPECT_GT(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

// Reference: FNV-1a 32-bit test vectors (Fowler/Noll/Vo, isthe.com/chongo/tech/comp/fnv):
// "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
TEST(Rng, StreamIdIsFnv1a) {
  EXPECT_EQ(capplan::stream_id_of(""), 0x811c9dc5u);
  EXPECT_EQ(capplan::stream_id_of("a"), 0xe40c292cu);
  EXPECT_EQ(capplan::stream_id_of("foobar"), 0xbf9cf968u);
}

}  // namespace

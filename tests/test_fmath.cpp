// Accuracy tests for kernels/fmath.h against the host C library.
//
// Error measure: distance in units in the last place (ulps), counted as the
// number of representable doubles between the two results. fdlibm's log, exp
// and log1p are within 1 ulp of the true value, and glibc's are within 1 ulp
// as well (its documented worst cases are below that), so two correct results
// can sit at most 2 ulps apart: 2 ulps is the bound we allow. The measured
// maxima are printed so that regressions in the last bit show up in the log.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <random>

#include "kernels/fmath.h"

namespace fm = capplan::fmath;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = std::numeric_limits<double>::epsilon();  // 2^-52
constexpr std::int64_t kMaxUlps = 2;

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

double from_bits(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// Maps doubles monotonically onto integers (-0 and +0 both to 0), so that
// the difference of two keys is their distance in ulps.
std::int64_t ordered_key(double x) {
  const std::uint64_t u = bits(x);
  const std::int64_t mag = static_cast<std::int64_t>(u & 0x7fffffffffffffffULL);
  return (u >> 63) ? -mag : mag;
}

std::int64_t ulp_distance(double a, double b) {
  const std::int64_t d = ordered_key(a) - ordered_key(b);
  return d < 0 ? -d : d;
}

// Tracks the worst ulp error of one function over a sweep.
struct UlpStats {
  const char* name;
  std::int64_t worst = 0;
  double worst_x = 0.0;
  long count = 0;
  ~UlpStats() {
    std::printf("[ fmath    ] %-6s max error %lld ulp at x = %.17g over %ld points\n", name,
                static_cast<long long>(worst), worst_x, count);
  }
  void check(double x, double got, double want) {
    ++count;
    const std::int64_t d = ulp_distance(got, want);
    if (d > worst) {
      worst = d;
      worst_x = x;
    }
    EXPECT_LE(d, kMaxUlps) << name << "(" << x << "): got " << got << " want " << want;
  }
};

// Positive finite doubles spread over the whole exponent range: every
// binade from the smallest subnormal up to DBL_MAX, several mantissas each.
template <class F>
void for_each_log_spaced(F&& f) {
  std::mt19937_64 rng(12345);
  for (std::uint64_t e = 0; e < 2047; ++e) {
    for (int i = 0; i < 64; ++i) {
      const std::uint64_t mant = (i == 0) ? 0 : (rng() & 0xfffffffffffffULL);
      if (e == 0 && mant == 0) continue;  // +0
      f(from_bits((e << 52) | mant));
    }
  }
}

// Relative error of got against a long double reference.
double rel_err(double got, long double want) {
  if (want == 0.0L) return got == 0.0 ? 0.0 : kInf;
  return static_cast<double>(std::fabs((static_cast<long double>(got) - want) / want));
}

// Reference Phi(x) in long double; the argument scaling x/sqrt(2) is done in
// extended precision so that its rounding does not dominate in the tails.
long double phi_ref(double x) {
  const long double inv_sqrt2 = 0.707106781186547524400844362104849039L;
  return 0.5L * std::erfc(-static_cast<long double>(x) * inv_sqrt2);
}

}  // namespace

// ---- log -------------------------------------------------------------------

TEST(FmathLog, MatchesStdLogOverWholeRange) {
  UlpStats stats{"log"};
  for_each_log_spaced([&](double x) { stats.check(x, fm::log(x), std::log(x)); });
}

TEST(FmathLog, MatchesStdLogAtRandomPointsAndNearOne) {
  UlpStats stats{"log"};
  std::mt19937_64 rng(777);
  std::uniform_real_distribution<double> unit(0.0, 4.0);
  for (int i = 0; i < 400000; ++i) {
    const double x = unit(rng);
    if (x > 0.0) stats.check(x, fm::log(x), std::log(x));
  }
  // Around 1, where fdlibm switches between its |f| < 2^-20 branch and the
  // atanh series, and where the result has its smallest exponent.
  for (int k = 1; k <= 60; ++k) {
    for (double sign : {-1.0, 1.0}) {
      const double x = 1.0 + sign * std::ldexp(1.0, -k);
      stats.check(x, fm::log(x), std::log(x));
      const double y = std::nextafter(x, 2.0);
      stats.check(y, fm::log(y), std::log(y));
    }
  }
  for (double x : {std::sqrt(0.5), std::sqrt(2.0), 2.0, 0.5, 10.0, 1e-300, 1e300, std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max()}) {
    stats.check(x, fm::log(x), std::log(x));
  }
}

TEST(FmathLog, SpecialValues) {
  EXPECT_EQ(fm::log(1.0), 0.0);
  EXPECT_EQ(fm::log(0.0), -kInf);
  EXPECT_EQ(fm::log(-0.0), -kInf);
  EXPECT_EQ(fm::log(kInf), kInf);
  EXPECT_TRUE(std::isnan(fm::log(-1.0)));
  EXPECT_TRUE(std::isnan(fm::log(-kInf)));
  EXPECT_TRUE(std::isnan(fm::log(std::nan(""))));
}

// ---- exp -------------------------------------------------------------------

TEST(FmathExp, MatchesStdExpOverWholeRange) {
  UlpStats stats{"exp"};
  // Uniform over the finite-result range, subnormal results included.
  std::mt19937_64 rng(4242);
  std::uniform_real_distribution<double> range(-745.2, 709.8);
  for (int i = 0; i < 400000; ++i) {
    const double x = range(rng);
    stats.check(x, fm::exp(x), std::exp(x));
  }
  // Small |x| of every magnitude, both signs.
  for_each_log_spaced([&](double ax) {
    if (ax > 709.0) return;
    stats.check(ax, fm::exp(ax), std::exp(ax));
    stats.check(-ax, fm::exp(-ax), std::exp(-ax));
  });
  // The reduction's branch points (0.5 ln2, 1.5 ln2) and the edges of the range.
  const double ln2 = 0.6931471805599453;
  for (double x : {0.5 * ln2, 1.5 * ln2, -0.5 * ln2, -1.5 * ln2, 709.782712893384, -708.39641853226408, -708.4, -720.0,
                   -744.0, -745.0, -745.1332191019411, 1.0, -1.0}) {
    for (double y : {std::nextafter(x, -kInf), x, std::nextafter(x, kInf)}) {
      stats.check(y, fm::exp(y), std::exp(y));
    }
  }
}

TEST(FmathExp, SpecialValues) {
  EXPECT_EQ(fm::exp(0.0), 1.0);
  EXPECT_EQ(fm::exp(-0.0), 1.0);
  EXPECT_EQ(fm::exp(kInf), kInf);
  EXPECT_EQ(fm::exp(-kInf), 0.0);
  EXPECT_EQ(fm::exp(710.0), kInf);
  EXPECT_EQ(fm::exp(1e300), kInf);
  EXPECT_EQ(fm::exp(-746.0), 0.0);
  EXPECT_EQ(fm::exp(-1e300), 0.0);
  EXPECT_GT(fm::exp(-745.0), 0.0);  // smallest subnormal region
  EXPECT_TRUE(std::isnan(fm::exp(std::nan(""))));
}

// ---- log1p -----------------------------------------------------------------

TEST(FmathLog1p, MatchesStdLog1p) {
  UlpStats stats{"log1p"};
  for_each_log_spaced([&](double ax) {
    stats.check(ax, fm::log1p(ax), std::log1p(ax));
    if (ax < 1.0) stats.check(-ax, fm::log1p(-ax), std::log1p(-ax));
  });
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> range(-1.0, 3.0);
  for (int i = 0; i < 400000; ++i) {
    const double x = range(rng);
    if (x > -1.0) stats.check(x, fm::log1p(x), std::log1p(x));
  }
  // Branch points: |x| = 2^-29, 2^-54, 1+x = sqrt(2)/2 and sqrt(2), x = 2^53.
  for (double x : {std::ldexp(1.0, -29), std::ldexp(1.0, -54), -std::ldexp(1.0, -29), std::sqrt(0.5) - 1.0,
                   std::sqrt(2.0) - 1.0, std::ldexp(1.0, 53), -0.5, 0.5, -1.0 + kEps}) {
    for (double y : {std::nextafter(x, -kInf), x, std::nextafter(x, kInf)}) {
      if (y > -1.0) stats.check(y, fm::log1p(y), std::log1p(y));
    }
  }
}

TEST(FmathLog1p, SpecialValues) {
  EXPECT_EQ(fm::log1p(0.0), 0.0);
  EXPECT_TRUE(std::signbit(fm::log1p(-0.0)));
  EXPECT_EQ(fm::log1p(-1.0), -kInf);
  EXPECT_EQ(fm::log1p(kInf), kInf);
  EXPECT_TRUE(std::isnan(fm::log1p(-2.0)));
  EXPECT_TRUE(std::isnan(fm::log1p(std::nan(""))));
  EXPECT_EQ(fm::log1p(1e-300), 1e-300);
}

// ---- norm_cdf --------------------------------------------------------------

// Relative accuracy against a long double erfc reference (x86-64 long double
// has a 64-bit significand, so the reference itself is good to ~1e-18 in the
// body and ~1e-16 at x = -37). Bound: 2e-15, about 9 ulps. Cody's
// approximations are good to about 1e-18; what remains is rounding in the
// rational functions (up to 9 Horner steps each), the two exp calls (1 ulp
// each) and the products; the measured maximum is about 1.0e-15 (~4.5 ulps,
// near |x| = 4 sqrt(2)), so the bound leaves a factor 2 for other compilers'
// choice of instruction order, which the -ffp-contract=off contract pins.
TEST(FmathNormCdf, RelativeAccuracyAgainstLongDoubleErfc) {
  double worst = 0.0;
  double worst_x = 0.0;
  auto check = [&](double x) {
    const double e = rel_err(fm::norm_cdf(x), phi_ref(x));
    if (e > worst) {
      worst = e;
      worst_x = x;
    }
    EXPECT_LE(e, 2e-15) << "x = " << x;
  };
  for (int i = 0; i <= 200000; ++i) check(-37.5 + 46.0 * i / 200000.0);  // [-37.5, 8.5]
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> range(-37.5, 8.5);
  for (int i = 0; i < 200000; ++i) check(range(rng));
  // Interval boundaries of CALERF at |x| / sqrt(2) = 0.46875 and 4.
  for (double y : {0.46875, 4.0}) {
    for (double s : {-1.0, 1.0}) {
      const double x = s * y * std::sqrt(2.0);
      for (double z : {std::nextafter(x, -kInf), x, std::nextafter(x, kInf)}) check(z);
    }
  }
  std::printf("[ fmath    ] norm_cdf max relative error %.3g at x = %.17g\n", worst, worst_x);
}

// Agreement with the double-precision expression the rest of the code base
// would otherwise use. That reference rounds -x/sqrt(2) to double, which
// alone perturbs erfc by a relative ~2 y^2 eps = x^2 eps (d ln erfc/dy ~ -2y),
// so the tolerance is 2e-15 + x^2 eps.
TEST(FmathNormCdf, MatchesHalfErfcInDouble) {
  for (int i = 0; i <= 100000; ++i) {
    const double x = -37.0 + 45.0 * i / 100000.0;
    const double want = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double tol = 2e-15 + x * x * kEps;
    EXPECT_LE(std::fabs(fm::norm_cdf(x) - want), tol * want) << "x = " << x;
  }
}

TEST(FmathNormCdf, SpecialValuesAndSymmetry) {
  EXPECT_EQ(fm::norm_cdf(0.0), 0.5);
  EXPECT_EQ(fm::norm_cdf(-kInf), 0.0);
  EXPECT_EQ(fm::norm_cdf(kInf), 1.0);
  EXPECT_EQ(fm::norm_cdf(-40.0), 0.0);
  EXPECT_EQ(fm::norm_cdf(40.0), 1.0);
  EXPECT_TRUE(std::isnan(fm::norm_cdf(std::nan(""))));
  // Subnormal tail: still positive and monotone.
  EXPECT_GT(fm::norm_cdf(-38.0), 0.0);
  EXPECT_LT(fm::norm_cdf(-38.0), fm::norm_cdf(-37.9));
  // Phi(x) + Phi(-x) = 1 to rounding.
  for (double x = 0.0; x < 8.0; x += 0.01) {
    EXPECT_NEAR(fm::norm_cdf(x) + fm::norm_cdf(-x), 1.0, 2 * kEps) << "x = " << x;
  }
}

TEST(FmathNormCdf, Monotone) {
  double prev = 0.0;
  for (int i = 0; i <= 400000; ++i) {
    const double x = -38.5 + 47.0 * i / 400000.0;
    const double p = fm::norm_cdf(x);
    EXPECT_GE(p, prev) << "x = " << x;
    prev = p;
  }
}

// ---- norm_inv --------------------------------------------------------------

// Reference quantiles: standard normal tables, as given by
// scipy.stats.norm.ppf(0.975) and scipy.stats.norm.ppf(0.9).
TEST(FmathNormInv, KnownQuantiles) {
  EXPECT_NEAR(fm::norm_inv(0.975), 1.959963984540054, 4 * kEps * 1.96);
  EXPECT_NEAR(fm::norm_inv(0.025), -1.959963984540054, 4 * kEps * 1.96);
  EXPECT_NEAR(fm::norm_inv(0.9), 1.2815515655446004, 4 * kEps * 1.29);
  EXPECT_NEAR(fm::norm_inv(0.1), -1.2815515655446004, 4 * kEps * 1.29);
  EXPECT_EQ(fm::norm_inv(0.5), 0.0);
}

TEST(FmathNormInv, SpecialValues) {
  EXPECT_EQ(fm::norm_inv(0.0), -kInf);
  EXPECT_EQ(fm::norm_inv(1.0), kInf);
  EXPECT_TRUE(std::isnan(fm::norm_inv(-0.1)));
  EXPECT_TRUE(std::isnan(fm::norm_inv(1.1)));
  EXPECT_TRUE(std::isnan(fm::norm_inv(std::nan(""))));
  EXPECT_TRUE(std::isfinite(fm::norm_inv(std::numeric_limits<double>::denorm_min())));
}

// norm_inv(norm_cdf(x)) == x. For x <= 0, Phi(x) carries relative error
// ~1e-15, which moves the quantile by ~1e-15 * Phi/phi <= 1e-15 absolute, plus
// AS241's own ~1e-16 relative: bound 4e-15 * max(1, |x|). For x > 0, Phi(x)
// is rounded near 1 with absolute error up to eps/2, so the quantile can
// only be recovered to about eps / phi(x); the bound there is 4 eps / phi(x).
TEST(FmathNormInv, RoundTripThroughNormCdf) {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -37.0 + 45.0 * i / 200000.0;
    const double back = fm::norm_inv(fm::norm_cdf(x));
    double tol;
    if (x <= 0.0) {
      tol = 4e-15 * std::max(1.0, std::fabs(x));
      worst = std::max(worst, std::fabs(back - x) / std::max(1.0, std::fabs(x)));
    } else {
      const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * 3.14159265358979323846);
      tol = 4e-15 + 4 * kEps / pdf;
    }
    EXPECT_NEAR(back, x, tol) << "x = " << x;
  }
  std::printf("[ fmath    ] norm_inv(norm_cdf(x)) worst error for x <= 0: %.3g (relative to max(1,|x|))\n", worst);
}

// norm_cdf(norm_inv(p)) == p, log-spaced over p in [1e-300, 0.5]. An error dx
// in the quantile changes p by a relative |x| dx (Mills ratio), and both
// functions are accurate to ~1e-16 relative in x, so the bound is
// 2e-15 * (1 + x^2).
TEST(FmathNormInv, RoundTripInProbability) {
  for (int i = 0; i <= 30000; ++i) {
    const double p = std::pow(10.0, -300.0 + (300.0 - std::log10(2.0)) * i / 30000.0);
    const double x = fm::norm_inv(p);
    const double tol = 2e-15 * (1.0 + x * x);
    EXPECT_LE(rel_err(fm::norm_cdf(x), static_cast<long double>(p)), tol) << "p = " << p;
    // Against the long double reference too.
    EXPECT_LE(rel_err(p, phi_ref(x)), tol) << "p = " << p;
  }
}

TEST(FmathNormInv, Monotone) {
  double prev = -kInf;
  for (int i = 1; i < 200000; ++i) {
    const double x = fm::norm_inv(i / 200000.0);
    EXPECT_GT(x, prev) << "i = " << i;
    prev = x;
  }
}

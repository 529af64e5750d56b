// Distribution tests for kernels/binomial.h.
//
// Each (n, p) case draws N variates from a fixed-seed std::mt19937_64 and
// checks (a) the sample mean and variance against n p and n p (1 - p) within
// 5 standard errors and (b) a chi-square goodness-of-fit against the exact
// pmf. With the seeds fixed the outcome is deterministic; the thresholds are
// chosen so that a correct sampler would fail with negligible probability
// under any seed (5 sigma: ~6e-7 per check; chi-square at the 0.999 quantile:
// 1e-3 per case), while the chi-square test still detects pmf errors of a
// few per cent in any bin holding a few hundred expected counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "kernels/binomial.h"

namespace {

// Uniform doubles strictly inside (0, 1): the 53-bit grid shifted by half a
// step, so neither 0 nor 1 can occur.
struct Mt19937Uniform {
  std::mt19937_64 rng;
  long calls = 0;
  explicit Mt19937Uniform(std::uint64_t seed) : rng(seed) {}
  double operator()() {
    ++calls;
    return (static_cast<double>(rng() >> 12) + 0.5) * 0x1p-52;  // strictly inside (0, 1)
  }
};

// A degenerate source returning the same value forever.
struct ConstantUniform {
  double value;
  long calls = 0;
  double operator()() {
    ++calls;
    return value;
  }
};

// log of the Binomial(n, p) pmf at k, from std::lgamma.
double log_pmf(std::int64_t n, double p, std::int64_t k) {
  const double nd = static_cast<double>(n);
  const double kd = static_cast<double>(k);
  return std::lgamma(nd + 1.0) - std::lgamma(kd + 1.0) - std::lgamma(nd - kd + 1.0) + kd * std::log(p) +
         (nd - kd) * std::log1p(-p);
}

// Upper 0.999 quantile of the chi-square distribution with df degrees of
// freedom by the Wilson-Hilferty cube-root normal approximation (Wilson and
// Hilferty 1931; see e.g. Johnson, Kotz and Balakrishnan, Continuous
// Univariate Distributions vol. 1, ch. 18). z = Phi^-1(0.999) = 3.090232306.
// Against the NIST/SEMATECH e-Handbook table (section 1.3.6.7.4) it gives
// 29.76 vs 29.588 at df = 10 and 149.5 vs 149.449 at df = 100: within 1 % and
// on the conservative side.
double chi2_crit_999(int df) {
  const double z = 3.090232306167813;
  const double v = static_cast<double>(df);
  const double h = 2.0 / (9.0 * v);
  const double t = 1.0 - h + z * std::sqrt(h);
  return v * t * t * t;
}

struct Case {
  std::int64_t n;
  double p;
  const char* branch;  // which code path it exercises, for the messages
};

void PrintTo(const Case& c, std::ostream* os) { *os << "n=" << c.n << " p=" << c.p << " (" << c.branch << ")"; }

class BinomialDistributionTest : public ::testing::TestWithParam<Case> {};

TEST_P(BinomialDistributionTest, MomentsAndChiSquare) {
  const Case c = GetParam();
  const std::int64_t n = c.n;
  const double p = c.p;
  constexpr long N = 500000;

  Mt19937Uniform uni(0x5eed0000u + static_cast<std::uint64_t>(n) * 31u + static_cast<std::uint64_t>(p * 1e6));
  std::vector<long> counts(static_cast<std::size_t>(n) + 1, 0);
  // Moments of the deviations from a nearby integer: exact integer sums, no
  // cancellation in the variance.
  const std::int64_t ref = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * p));
  double sum = 0.0;
  double sum_sq = 0.0;
  for (long i = 0; i < N; ++i) {
    const std::int64_t k = capplan::sample_binomial(n, p, uni);
    ASSERT_GE(k, 0);
    ASSERT_LE(k, n);
    ++counts[static_cast<std::size_t>(k)];
    const double d = static_cast<double>(k - ref);
    sum += d;
    sum_sq += d * d;
  }

  // Moments: the sample mean has standard error sqrt(npq/N); the sample
  // variance has standard error sqrt((mu4 - sigma^4)/N) with the binomial
  // central fourth moment mu4 = npq (1 + 3 (n - 2) p q).
  const double nd = static_cast<double>(n);
  const double q = 1.0 - p;
  const double mean = nd * p;
  const double var = nd * p * q;
  const double mu4 = var * (1.0 + 3.0 * (nd - 2.0) * p * q);
  const double sample_mean = static_cast<double>(ref) + sum / N;
  const double sample_var = (sum_sq - sum * sum / N) / (N - 1);
  EXPECT_NEAR(sample_mean, mean, 5.0 * std::sqrt(var / N));
  EXPECT_NEAR(sample_var, var, 5.0 * std::sqrt((mu4 - var * var) / N));

  // Chi-square: adjacent k are pooled left to right until each bin expects
  // at least 5 counts (the usual validity rule); a short remainder joins the
  // last bin. df = bins - 1 (no parameters are estimated).
  std::vector<double> bin_expected;
  std::vector<double> bin_observed;
  double acc_e = 0.0;
  double acc_o = 0.0;
  for (std::int64_t k = 0; k <= n; ++k) {
    acc_e += N * std::exp(log_pmf(n, p, k));
    acc_o += static_cast<double>(counts[static_cast<std::size_t>(k)]);
    if (acc_e >= 5.0) {
      bin_expected.push_back(acc_e);
      bin_observed.push_back(acc_o);
      acc_e = acc_o = 0.0;
    }
  }
  ASSERT_FALSE(bin_expected.empty());
  bin_expected.back() += acc_e;
  bin_observed.back() += acc_o;
  const int df = static_cast<int>(bin_expected.size()) - 1;
  ASSERT_GE(df, 1);
  double chi2 = 0.0;
  for (std::size_t b = 0; b < bin_expected.size(); ++b) {
    const double d = bin_observed[b] - bin_expected[b];
    chi2 += d * d / bin_expected[b];
  }
  const double crit = chi2_crit_999(df);
  EXPECT_LT(chi2, crit) << "df = " << df;
  std::printf(
      "[ binomial ] n=%lld p=%g (%s): mean %.4f (exp %.4f), var %.4f (exp %.4f), chi2 %.1f, df %d, "
      "crit %.1f, %.2f uniforms/draw\n",
      static_cast<long long>(n), p, c.branch, sample_mean, mean, sample_var, var, chi2, df, crit,
      static_cast<double>(uni.calls) / N);
}

INSTANTIATE_TEST_SUITE_P(Cases, BinomialDistributionTest,
                         ::testing::Values(Case{10, 0.5, "inversion, np=5"}, Case{40, 0.05, "inversion, np=2"},
                                           Case{20, 0.97, "inversion, mirrored"}, Case{15, 0.7, "inversion, mirrored"},
                                           Case{21, 0.47, "inversion, np=9.87"},
                                           Case{2000, 0.004999, "inversion, np just below 10"},
                                           Case{200, 0.05, "BTRD, np=10 threshold"}, Case{1000, 0.073, "BTRD"},
                                           Case{3300, 0.073, "BTRD"}, Case{500, 0.9, "BTRD, mirrored"},
                                           Case{100000, 0.5, "BTRD, large"}));

TEST(Binomial, DegenerateParameters) {
  Mt19937Uniform uni(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(capplan::sample_binomial(0, 0.3, uni), 0);
    EXPECT_EQ(capplan::sample_binomial(5, 0.0, uni), 0);
    EXPECT_EQ(capplan::sample_binomial(5, -0.1, uni), 0);
    EXPECT_EQ(capplan::sample_binomial(5, std::nan(""), uni), 0);
    EXPECT_EQ(capplan::sample_binomial(5, 1.0, uni), 5);
    EXPECT_EQ(capplan::sample_binomial(5, 1.5, uni), 5);
    EXPECT_EQ(capplan::sample_binomial(-3, 0.5, uni), 0);
  }
  EXPECT_EQ(uni.calls, 0);  // degenerate cases consume no randomness
}

// Very large n in both regimes: the moments only (the pmf table would be huge).
TEST(Binomial, HugeN) {
  Mt19937Uniform uni(7);
  for (const auto& np :
       {std::pair<std::int64_t, double>{1000000000000LL, 1e-12}, std::pair<std::int64_t, double>{1000000000000LL, 0.3},
        std::pair<std::int64_t, double>{1LL << 40, 1.0 - 1e-13}}) {
    const std::int64_t n = np.first;
    const double p = np.second;
    constexpr long N = 20000;
    // Accumulate deviations from a nearby integer so that the sum stays far
    // below 2^53 and is exact.
    const double nd = static_cast<double>(n);
    const std::int64_t ref = static_cast<std::int64_t>(std::floor(nd * p));
    double sum_dev = 0.0;
    for (long i = 0; i < N; ++i) {
      const std::int64_t k = capplan::sample_binomial(n, p, uni);
      ASSERT_GE(k, 0);
      ASSERT_LE(k, n);
      sum_dev += static_cast<double>(k - ref);
    }
    EXPECT_NEAR(sum_dev / N, nd * p - static_cast<double>(ref), 5.0 * std::sqrt(nd * p * (1.0 - p) / N))
        << "n=" << n << " p=" << p;
  }
}

// The inversion search is bounded even if the uniform exceeds the computed
// CDF total, and a degenerate source cannot make it spin.
TEST(Binomial, InversionTerminatesForExtremeUniforms) {
  const double top = 1.0 - 0x1p-53;  // largest double below 1
  const double bottom = 0x1p-60;
  for (const auto& np :
       {std::pair<std::int64_t, double>{1000000000000LL, 1e-12}, std::pair<std::int64_t, double>{20, 0.4},
        std::pair<std::int64_t, double>{1, 0.5}, std::pair<std::int64_t, double>{1999, 0.005}}) {
    ConstantUniform hi{top};
    const std::int64_t k_hi = capplan::sample_binomial(np.first, np.second, hi);
    EXPECT_GE(k_hi, 0);
    EXPECT_LE(k_hi, np.first);
    EXPECT_LE(hi.calls, 5);
    ConstantUniform lo{bottom};
    EXPECT_EQ(capplan::sample_binomial(np.first, np.second, lo), 0);
    EXPECT_EQ(lo.calls, 1);
  }
  // Mirrored: u near 0 maps to n.
  ConstantUniform lo{bottom};
  EXPECT_EQ(capplan::sample_binomial(20, 0.9, lo), 20);
}

// The Stirling-correction table and series match ln k! from std::lgamma.
TEST(Binomial, StirlingTailMatchesLgamma) {
  const double half_log_2pi = 0.91893853320467274178;
  for (std::int64_t k = 0; k <= 200; ++k) {
    const double kd = static_cast<double>(k);
    const double want = std::lgamma(kd + 1.0) - ((kd + 0.5) * std::log(kd + 1.0) - (kd + 1.0) + half_log_2pi);
    // lgamma's absolute rounding at ln 200! ~ 863 is ~1e-13; the series'
    // truncation error is below 3e-11 at k = 10.
    const double tol = k < 10 ? 1e-13 : 5e-11;
    EXPECT_NEAR(capplan::binomial_detail::stirling_tail(k), want, tol) << "k = " << k;
  }
}

TEST(Bernoulli, InverseCdfForm) {
  EXPECT_FALSE(capplan::sample_bernoulli(0.0, 1.0 - 0x1p-53));
  EXPECT_TRUE(capplan::sample_bernoulli(1.0, 0x1p-60));
  EXPECT_FALSE(capplan::sample_bernoulli(0.3, 0.69));
  EXPECT_TRUE(capplan::sample_bernoulli(0.3, 0.71));
  // Monotone in u: once true, stays true as u grows.
  for (double p : {0.01, 0.3, 0.5, 0.99}) {
    bool seen_true = false;
    for (int i = 1; i < 10000; ++i) {
      const bool b = capplan::sample_bernoulli(p, i / 10000.0);
      if (seen_true) {
        EXPECT_TRUE(b) << "p = " << p << " u = " << i / 10000.0;
      }
      seen_true = seen_true || b;
    }
  }
  // Frequency within 5 standard errors.
  Mt19937Uniform uni(3);
  constexpr long N = 200000;
  for (double p : {0.001, 0.2, 0.5, 0.95}) {
    long hits = 0;
    for (long i = 0; i < N; ++i) hits += capplan::sample_bernoulli(p, uni()) ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(hits) / N, p, 5.0 * std::sqrt(p * (1.0 - p) / N)) << "p = " << p;
  }
}

}  // namespace

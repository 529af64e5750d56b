// The trial loop of kernels/trial.h skips what cannot change on a day (tranches
// outside their delivery spread, sites with nothing waiting or everything
// blocked until a known day, available power between power steps). That must
// not change a single bit: this test runs it against the plain day-by-day loop
// kept in tests/reference_trial.h on randomly generated specs that crowd the
// installation rules -- several tranches and system types per site, tight
// stepped power, `after` chains, risks on power steps, sites and tranches,
// power factors, optional tranches, zero-unit tranches, fractional install
// rates -- and compares every record and completion day exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "planner/base/errors.h"
#include "planner/engine/model_builder.h"
#include "planner/spec/spec_loader.h"
#include "tests/reference_trial.h"

namespace capplan {
namespace {

// A random valid spec (YAML text); `index` only names it.
std::string random_spec(std::mt19937_64& rng, int index) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p; };
  auto date = [&](int day) {  // day 0 = 2026-01-01; the horizon covers days 0 .. 299
    return format_date(days_from_civil({2026, 1, 1}) + day);
  };
  std::ostringstream y;
  y << "version: 1\nname: random-" << index << "\n";
  y << "horizon: {start: 2026-01-01, end: " << date(299) << "}\n";
  y << "accelerators:\n  a1: {dense_tflops: {bf16: 1000}}\n  a2: {dense_tflops: {bf16: 2500}}\n";
  const int systems = pick(1, 3);
  y << "systems:\n";
  for (int k = 0; k < systems; ++k) {
    y << "  y" << k << ": {accelerator: a" << 1 + k % 2 << ", accelerators: " << pick(1, 72)
      << ", power_kw: " << pick(0, 4) * 25 + pick(0, 9) << "}\n";
  }
  const int sites = pick(1, 3);
  y << "sites:\n";
  for (int s = 0; s < sites; ++s) {
    y << "  s" << s << ":\n";
    if (chance(0.5)) y << "    ready: {planned: " << date(pick(-10, 60)) << ", slip_days: {uniform: [-5, 30]}}\n";
    if (chance(0.7)) {
      y << "    power_mw:\n";
      const int steps = pick(1, 4);
      for (int p = 0; p < steps; ++p) {
        y << "      - {planned: " << date(pick(-20, 250)) << ", add: " << pick(0, 30) * 0.1 + 0.05;
        if (chance(0.5)) y << ", slip_days: {triangular: [-10, 5, 40]}";
        y << "}\n";
      }
      y << "    pue: " << 1.0 + pick(0, 5) * 0.1 << "\n";
    }
    if (chance(0.7)) {
      if (chance(0.5)) {
        y << "    install_per_day: {uniform: [0.3, " << 0.5 + pick(0, 60) * 0.1 << "]}\n";
      } else {
        y << "    install_per_day: " << pick(1, 12) << "\n";
      }
    }
  }
  const int tranches = pick(1, 7);
  y << "tranches:\n";
  for (int t = 0; t < tranches; ++t) {
    y << "  t" << t << ":\n";
    y << "    system: y" << pick(0, systems - 1) << "\n";
    y << "    site: s" << pick(0, sites - 1) << "\n";
    y << "    units: " << (chance(0.1) ? 0 : pick(1, 120)) << "\n";
    if (chance(0.2)) y << "    probability: 0.6\n";
    y << "    delivery: {planned: " << date(pick(-30, 260))
      << ", slip_days: {triangular: [-10, 3, 40]}, spread_days: " << pick(0, 40) << "}\n";
    if (chance(0.6)) y << "    burn_in_days: {uniform: [0, 8]}\n";
    if (chance(0.5)) y << "    acceptance: {uniform: [0.7, 1.0]}\n";
    if (chance(0.5)) y << "    rework_days: {uniform: [0, 12]}\n";
    if (t > 0 && chance(0.4)) y << "    after: [t" << pick(0, t - 1) << "]\n";
  }
  if (chance(0.7)) {
    y << "risks:\n";
    const int risks = pick(1, 3);
    for (int r = 0; r < risks; ++r) {
      y << "  r" << r << ":\n    probability: " << pick(1, 9) * 0.1 << "\n";
      const bool power_factor = chance(0.4);
      if (!power_factor || chance(0.5)) y << "    delay_days: {uniform: [0, 40]}\n";
      if (power_factor) y << "    power_factor: {uniform: [0.3, 1.2]}\n";
      y << "    applies_to: [";
      if (power_factor) {
        y << "site:s" << pick(0, sites - 1);
      } else if (chance(0.5)) {
        y << "tranche:t" << pick(0, tranches - 1);
      } else {
        y << "site:s" << pick(0, sites - 1);
      }
      y << "]\n";
    }
  }
  if (chance(0.6)) {
    y << "operations:\n  failures_per_accelerator_day: " << pick(1, 30) * 1e-4 << "\n  repair_days: " << pick(1, 4)
      << "\n";
  }
  y << "report:\n  every: " << (chance(0.5) ? "day" : "week") << "\n";
  return y.str();
}

TEST(Equivalence, SkippingLoopMatchesThePlainDayByDayLoop) {
  std::mt19937_64 rng(20261127);
  int specs = 0, rejected = 0;
  std::uint64_t trials = 0, installs_compared = 0;
  for (int index = 0; specs < 300; ++index) {
    ASSERT_LT(index, 3000) << "too many generated specs were rejected";
    const std::string text = random_spec(rng, index);
    Spec spec;
    try {
      spec = load_spec_text(text, "random.yaml");
    } catch (const SpecError&) {
      ++rejected;  // e.g. a risk with a power factor on a site without power limits
      continue;
    }
    ++specs;
    const CompiledModel model = build_model(spec);
    const ModelView view = model.view(index);
    std::vector<double> scratch_a(workspace_bytes(view) / sizeof(double) + 1);
    std::vector<double> scratch_b(workspace_bytes(view) / sizeof(double) + 1);
    TrialWorkspace fast = carve_workspace(view, reinterpret_cast<char*>(scratch_a.data()));
    TrialWorkspace plain = carve_workspace(view, reinterpret_cast<char*>(scratch_b.data()));
    const std::size_t record_size = model.record_values();
    std::vector<double> record_fast(record_size), record_plain(record_size);
    std::vector<int> done_fast(model.tranches.size()), done_plain(model.tranches.size());
    for (std::uint32_t trial = 0; trial < 20; ++trial) {
      simulate_trial(view, trial, fast, TrialOutput{record_fast.data(), done_fast.data()});
      reference::simulate_trial(view, trial, plain, TrialOutput{record_plain.data(), done_plain.data()});
      ++trials;
      ASSERT_EQ(done_fast, done_plain) << "trial " << trial << " of\n" << text;
      ASSERT_EQ(std::memcmp(record_fast.data(), record_plain.data(), record_size * sizeof(double)), 0)
          << "trial " << trial << " of\n"
          << text;
      installs_compared += static_cast<std::uint64_t>(record_fast[record_size - kMetricCount + kInstalledSystems]);
    }
  }
  std::printf("[ compared ] %d random specs (%d rejected by the loader), %llu trials, %llu units installed\n", specs,
              rejected, static_cast<unsigned long long>(trials), static_cast<unsigned long long>(installs_compared));
  EXPECT_GT(installs_compared, 100000u);  // the specs do exercise installation
}

}  // namespace
}  // namespace capplan

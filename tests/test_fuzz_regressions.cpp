// Inputs that brought capplan down, found by the fuzz targets (tests/fuzz/,
// docs/reliability.md, Fuzzing). Each is committed in tests/fuzz/regressions/
// (and as a seed in tests/fuzz/corpus/), loaded here through the function it
// crashed, and must now get a clean capplan error; the ASan suite (preset
// asan) runs these too.
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <string>

#include <nlohmann/json.hpp>

#include "planner/analysis/regression.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"

namespace capplan {
namespace {

using testing::read_file;
using testing::source_path;

std::string regression_input(const std::string& name) {
  const std::string text = read_file(source_path("tests/fuzz/regressions/" + name));
  EXPECT_FALSE(text.empty()) << name << " is missing";
  return text;
}

// 100,000 nested arrays (200 kB): printing the value in the validator's
// message recursed once per level and overflowed the stack (capplan check
// crashed with SIGSEGV). Now refused while parsing, past 32 levels.
TEST(FuzzRegression, DeeplyNestedBaselineIsAUsageError) {
  const std::string text = regression_input("baseline-deep-nesting.json");
  try {
    parse_baseline(text, "deep.json");
    ADD_FAILURE() << "a baseline nested 100,000 levels deep was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("the baseline deep.json nests arrays and objects deeper than 32 levels"),
              std::string::npos)
        << e.what();
  }
}

// The message parse_baseline refuses `text` with, or "" if it accepts it.
std::string refusal(const std::string& text) {
  try {
    parse_baseline(text, "a.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

// The limit is exact: 32 levels are read (and then refused by the validator
// for what they hold, not for their depth), 33 are not.
TEST(FuzzRegression, BaselineNestingLimitIsExact) {
  const auto nested = [](int levels) {
    const auto inner = static_cast<std::size_t>(levels - 1);  // inside the document's object
    return "{\"format_version\": " + std::string(inner, '[') + std::string(inner, ']') + "}";
  };
  EXPECT_NE(refusal(nested(kMaxBaselineNesting)).find("format_version must be 2"), std::string::npos)
      << refusal(nested(kMaxBaselineNesting));
  EXPECT_NE(refusal(nested(kMaxBaselineNesting + 1)).find("deeper than 32 levels"), std::string::npos)
      << refusal(nested(kMaxBaselineNesting + 1));
}

// Through the binary: capplan check exits 2 with the message, not a signal.
TEST(FuzzRegression, CheckWithADeeplyNestedBaselineExitsTwo) {
  if (!testing::fs::exists(CAPPLAN_BINARY)) GTEST_SKIP() << "no capplan binary at " << CAPPLAN_BINARY;
  const testing::Outcome outcome = testing::shell(
      std::string(CAPPLAN_BINARY) + " check " + source_path("configs/minimal.yaml") +
      " --backend cpu --quiet --baseline " + source_path("tests/fuzz/regressions/baseline-deep-nesting.json"));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("deeper than 32 levels"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace capplan

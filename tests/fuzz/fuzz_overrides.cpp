// libFuzzer target: --set PATH=VALUE options applied to a spec
// (tests/specs/every-feature.yaml: every key and section a --set can reach,
// small enough to load about a thousand times a second under ASan).
//
// The input is one option per line (at most kMaxOptions; a trailing newline
// ends the last option, as in the corpus files), given to load_spec_text as
// `capplan run --set ...` would: the overrides are parsed, applied to the
// YAML tree and the result validated. capplan::Error is the expected refusal;
// anything else is a finding and is left for libFuzzer to report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "planner/base/errors.h"
#include "planner/spec/spec_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// More options add little: each is applied on its own, in order.
constexpr std::size_t kMaxOptions = 8;

const std::string& spec_text() {
  static const std::string text = capplan::fuzz::source_text("tests/specs/every-feature.yaml");
  return text;
}

// "a=1\nb=2\n" -> {"a=1", "b=2"}; the last line needs no newline.
std::vector<std::string> options_of(const std::string& input) {
  std::vector<std::string> options;
  std::size_t start = 0;
  while (start < input.size() && options.size() < kMaxOptions) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    options.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spec_text();  // read once, before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> options = options_of(std::string(reinterpret_cast<const char*>(data), size));
  try {
    capplan::load_spec_text(spec_text(), "every-feature.yaml", options);
  } catch (const capplan::Error&) {
    // A refused option or a spec it made invalid: a clean error.
  }
  return 0;
}

// libFuzzer target: the spec loader on arbitrary bytes, as the text of a spec
// file (load_spec_text, what `capplan run/validate` read a spec with).
//
// A refused spec is a SpecError, or another capplan::Error: the expected
// outcome for almost every input. Anything else (another exception, a crash,
// a sanitizer report, a timeout, running out of memory) is a finding; it is
// deliberately not caught here, so that libFuzzer reports it with the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "planner/base/errors.h"
#include "planner/spec/spec_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    capplan::load_spec_text(text, "fuzz.yaml");
  } catch (const capplan::Error&) {
    // A clean refusal with diagnostics: what a bad spec must get.
  }
  return 0;
}

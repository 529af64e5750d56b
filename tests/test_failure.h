// The failure a command would report, for tests that call commands in-process.
#pragma once

#include <exception>

#include "planner/base/failure.h"

namespace capplan::testing {

// The exit code and message run_cli would print for what `call` throws.
template <typename Call>
Failure failure_of(Call call) {
  try {
    call();
  } catch (...) {
    return describe_failure(std::current_exception());
  }
  return {};
}

}  // namespace capplan::testing

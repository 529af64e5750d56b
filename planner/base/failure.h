// What a failure prints and its exit code, and failures that every rank of a
// run agrees on, so that no rank waits forever in a collective after another
// one failed.
#pragma once

#include <exception>
#include <string>

#include "planner/base/errors.h"
#include "planner/base/parallel.h"

namespace capplan {

// What a caught exception prints on stderr and the exit code it maps to: 2 for
// bad input or usage, 3 for runtime failures and anything unexpected.
struct Failure {
  int exit_code = 0;
  std::string message;
  bool print = true;  // false on the ranks that leave an agreed failure to rank 0
};

// The one mapping of exceptions to messages and exit codes (SpecError with its
// diagnostics, capplan::Error, std::bad_alloc, any std::exception). The message
// is safe to print: user text in it is escaped by printable() (printable.h),
// its own line breaks kept.
Failure describe_failure(const std::exception_ptr& error);

// A failure every rank has agreed on: its message is complete as it is, and
// only rank 0 prints it.
class AgreedFailure : public Error {
 public:
  AgreedFailure(int exit_code, const std::string& message, bool print)
      : Error(message), exit_code_(exit_code), print_(print) {}
  int exit_code() const override { return exit_code_; }
  bool print() const { return print_; }

 private:
  int exit_code_;
  bool print_;
};

// Runs one phase on every rank; if any rank failed, every rank throws the first
// failing rank's failure as an AgreedFailure. On one process the phase's own
// exception propagates unchanged.
template <typename Phase>
void on_every_rank(const Communicator& communicator, Phase phase) {
  if (communicator.size() == 1) {
    phase();
    return;
  }
  Failure failure;
  try {
    phase();
  } catch (...) {
    failure = describe_failure(std::current_exception());
  }
  const auto [code, message] = communicator.agree(failure.exit_code, failure.message);
  if (code != 0) throw AgreedFailure(code, message, communicator.is_root());
}

// Fault injection for the multi-rank failure tests: with CAPPLAN_FAIL_RANK=r in
// the environment, rank r throws a RuntimeFailure here.
void inject_rank_failure(const Communicator& communicator);

}  // namespace capplan

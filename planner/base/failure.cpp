#include "planner/base/failure.h"

#include <cstdlib>
#include <new>

#include <fmt/format.h>

#include "planner/base/printable.h"

namespace capplan {

namespace {

Failure describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const AgreedFailure& e) {
    return {e.exit_code(), e.what(), e.print()};
  } catch (const SpecError& e) {
    return {e.exit_code(), std::string(e.what()) + "\n" +
                               fmt::format("capplan: {} error{} in the spec; nothing was written", e.count(),
                                           e.count() == 1 ? "" : "s")};
  } catch (const Error& e) {
    return {e.exit_code(), std::string("capplan: error: ") + e.what()};
  } catch (const std::bad_alloc&) {
    return {3, "capplan: error: out of memory"};
  } catch (const std::exception& e) {
    return {3, std::string("capplan: internal error: ") + e.what()};
  }
}

}  // namespace

Failure describe_failure(const std::exception_ptr& error) {
  Failure failure = describe(error);
  failure.message = printable(failure.message, Newlines::kKeep);
  return failure;
}

void inject_rank_failure(const Communicator& communicator) {
  const char* fail_rank = std::getenv("CAPPLAN_FAIL_RANK");
  if (fail_rank && std::to_string(communicator.rank()) == fail_rank) {
    throw RuntimeFailure("injected failure (CAPPLAN_FAIL_RANK) while simulating");
  }
}

}  // namespace capplan

// capplan validate and capplan schema.
#include <fmt/format.h>

#include "planner/app/commands.h"
#include "planner/base/parallel.h"
#include "planner/engine/model_builder.h"
#include "planner/spec/schema.h"
#include "planner/spec/spec_loader.h"

namespace capplan {

ValidateOutcome validate_command(const ValidateRequest& request) {
  const Spec spec = load_spec_file(request.spec_path, request.overrides);
  build_model(spec);  // checks what only compiling can (stream ids, correlations)
  ValidateOutcome outcome;
  if (Communicator::world().is_root()) {
    outcome.report = fmt::format("{}: valid spec '{}' ({} tranches, {} sites, {} risks, horizon {} .. {})\n",
                                 request.spec_path, spec.name, spec.tranches.size(), spec.sites.size(),
                                 spec.risks.size(), format_date(spec.horizon.start), format_date(spec.horizon.end));
  }
  return outcome;
}

SchemaOutcome schema_command() {
  SchemaOutcome outcome;
  if (Communicator::world().is_root()) outcome.report = spec_json_schema();
  return outcome;
}

}  // namespace capplan

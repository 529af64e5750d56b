// The capplan command line: parses the arguments into a command's request
// (planner/app/commands.h), runs the command, prints its report, and maps every
// error to its exit code (0 success, 2 invalid input or usage, 3 runtime failure).
#pragma once

namespace capplan {

int run_cli(int argc, char** argv);

}  // namespace capplan

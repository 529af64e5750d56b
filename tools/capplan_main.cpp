// capplan command-line entry point; everything else lives in the library.
#include "planner/app/cli.h"

int main(int argc, char** argv) { return capplan::run_cli(argc, argv); }

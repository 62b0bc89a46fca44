// The `slim` CLI: parse arguments, hand over to the command, map errors to exit codes.
#include "slim/cli/app.hpp"

int main(int argc, char** argv) { return slim::cli::run(argc, argv); }

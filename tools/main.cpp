// modelbridge: move predictive models between R, PMML and ONNX and prove they still predict the
// same.  The commands are a library (tools/cli.hpp); main only connects them to the process.
#include <unistd.h>

#include <iostream>

#include "tools/cli.hpp"
#include "tools/common.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const bool terminal = isatty(STDERR_FILENO);
  mb::cli::Io io{std::cout, std::cerr, terminal, STDOUT_FILENO, mb::cli::want_color(terminal)};
  const int rc = mb::cli::run_cli(std::vector<std::string>(argv + 1, argv + argc), io);
  std::cout.flush();
  return rc;
}

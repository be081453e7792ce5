// The command line as a library: the table of commands and the function that parses a command
// line, runs the command and turns exceptions into messages and exit codes.  tools/main.cpp
// only calls run_cli; tests call it (or a command's run function) with string streams.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tools/common.hpp"

namespace CLI {
class App;
}

namespace mb::cli {

// Runs a command with the options its setup bound.
using Runner = std::function<int(Io&)>;

// One row of the command table: everything else (parsing, `help`, the unknown-command message,
// shell completions) derives from the table.
struct Command {
  const char* name;
  const char* summary;
  // Declares the command's options on `sub` and returns the function that runs it.
  std::function<Runner(CLI::App& sub)> setup;
};

// Every command, in the order `--help` lists them.
const std::vector<Command>& commands();

// "convert, inspect, diff, hash, score, help, ...": the command names for messages.
std::string command_names();

// Parses `args` (without the program name), runs the command and returns the exit code.
// Messages and output go to `io`; nothing escapes as an exception.
int run_cli(const std::vector<std::string>& args, Io& io);

}  // namespace mb::cli

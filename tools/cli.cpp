#include "tools/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "tools/commands.hpp"

#ifndef MB_VERSION
#define MB_VERSION "unknown"
#endif
#ifndef MB_MANDIR
#define MB_MANDIR "/usr/local/share/man"
#endif
#ifndef MB_SOURCE_MANDIR
#define MB_SOURCE_MANDIR "man"
#endif

namespace mb::cli {
namespace {

// A command whose options live in an `O` owned by the runner.
template <class O>
Command command(const char* name, const char* summary, void (*setup)(CLI::App&, O&), int (*run)(const O&, Io&)) {
  return {name, summary, [setup, run](CLI::App& sub) -> Runner {
            auto o = std::make_shared<O>();
            setup(sub, *o);
            return [o, run](Io& io) { return run(*o, io); };
          }};
}

// `modelbridge help [COMMAND]`: the manual page when standard output is a terminal and man can
// show it, else the command's --help.
struct HelpOptions {
  CLI::App* root = nullptr;
  std::string command;
};

void setup_help(CLI::App& h, HelpOptions& o) {
  o.root = h.get_parent();
  h.add_option("COMMAND", o.command, "the command to describe")->option_text("COMMAND");
}

int run_help(const HelpOptions& o, Io& io) {
  if (o.command.empty()) {
    // root->help() would describe the command being run, `help` itself.
    io.out << o.root->get_formatter()->make_help(o.root, "modelbridge", CLI::AppFormatMode::Normal);
    return kExitOk;
  }
  CLI::App* sub = nullptr;
  try {
    sub = o.root->get_subcommand(o.command);
  } catch (const CLI::OptionNotFound&) {
    throw Error("", "", fmt::format("help {}: no such command; commands: {}", o.command, command_names()));
  }
  const std::string page = "modelbridge-" + o.command;
  if (io.out_fd >= 0 && isatty(io.out_fd)) {
    for (const std::string& dir : {std::string(MB_MANDIR) + "/man1", std::string(MB_SOURCE_MANDIR)}) {
      const std::string path = dir + "/" + page + ".1";
      if (std::filesystem::exists(path) && std::system("command -v man >/dev/null 2>&1") == 0) {
        io.out.flush();
        return std::system(("man -l '" + path + "'").c_str()) == 0 ? kExitOk : kExitInternal;
      }
    }
  }
  io.out << sub->get_formatter()->make_help(sub, "modelbridge " + o.command, CLI::AppFormatMode::Normal);
  return kExitOk;
}

std::string description() {
  return fmt::format(
      "modelbridge: move predictive models between R, PMML and ONNX, and prove that the moved model still predicts "
      "the same.\nFormats: {} (read); {} (write).  Exit codes: 0 success/equivalent, 1 differ beyond tolerance, "
      "2 bad input or unsupported, 3 internal error.",
      formats::supported_formats(), formats::writable_formats());
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      command("convert", "convert a model to another format and cross-check its predictions", setup_convert, run_convert),
      command("inspect", "describe what a model file holds", setup_inspect, run_inspect),
      command("diff", "compare two models structurally and, with --data, by predictions", setup_diff, run_diff),
      command("hash", "print the semantic hash of a model", setup_hash, run_hash),
      command("score", "score a CSV file with a model, streaming", setup_score, run_score),
      command("help", "show help for a command", setup_help, run_help),
  };
  return table;
}

std::string command_names() {
  std::string s;
  for (const auto& c : commands()) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

int run_cli(const std::vector<std::string>& args, Io& io) {
  CLI::App app{description(), "modelbridge"};
  app.set_version_flag("--version", std::string("modelbridge ") + MB_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners.emplace_back(sub, c.setup(*sub));
  }

  // A bare `modelbridge`: the overview, on standard error since it is a usage error (exit 2).
  if (args.empty()) {
    io.err << app.help();
    return kExitInput;
  }
  if (!args[0].empty() && args[0][0] != '-') {
    const bool known = std::any_of(commands().begin(), commands().end(), [&](const Command& c) { return args[0] == c.name; });
    if (!known) {
      io.err << fmt::format("modelbridge: error: unknown command '{}'; commands: {}\n", args[0], command_names());
      return kExitInput;
    }
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    io.err << "modelbridge: error: " << e.what() << "\n";
    io.err << "Run 'modelbridge --help' or 'modelbridge help COMMAND' for usage.\n";
    return kExitInput;
  }

  try {
    int rc = kExitOk;
    for (auto& [sub, run] : runners)
      if (*sub) rc = run(io);
    io.out.flush();
    return rc;
  } catch (const Error& e) {
    io.out.flush();
    io.err << "modelbridge: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    io.err << "modelbridge: error: out of memory\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    io.err << "modelbridge: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace mb::cli

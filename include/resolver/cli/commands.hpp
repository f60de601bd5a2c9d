// The subcommands of the `resolver` executable. Each adds itself to the CLI11 app and returns
// the function that runs it once the command line is parsed; that function returns the
// process exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace resolver::cli {

// Exit statuses shared by the subcommands (documented in docs/manual.md and in --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;  // client: some name does not exist; check: bad lines
inline constexpr int kExitError = 2;     // usage errors, timeouts, server failures

struct Subcommand {
  CLI::App* app;
  std::function<int()> run;
};

Subcommand add_server_command(CLI::App& app);
Subcommand add_client_command(CLI::App& app);
Subcommand add_check_command(CLI::App& app);

}  // namespace resolver::cli

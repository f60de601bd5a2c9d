#include <iostream>

#include "resolver/cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace resolver::cli;
  CLI::App app{
      "resolver: a small, fast caching name server (DNS and the course's text protocol)\n"
      "and its command-line client."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(RESOLVER_VERSION));
  Subcommand commands[] = {add_server_command(app), add_client_command(app),
                           add_check_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);
  } catch (const CLI::ConfigError& error) {
    // A config file's problem names its FILE:LINE; --help would not help with it.
    std::cerr << error.what() << '\n';
    return kExitError;
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitError;
  }
  for (auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitError;
}

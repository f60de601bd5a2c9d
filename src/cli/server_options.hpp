// `resolver server`'s command line: its options, and the ServerConfig they settle into.
//
// Kept apart from server_command.cpp, which runs the server: this half only declares options
// and turns their text into settings; nothing here binds a socket or reads a record file.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "resolver/server/settings.hpp"

namespace resolver::cli {

// The options bound to the config directly, and the few kept as text until logging is up,
// because their parse errors are logged like every other start-up error.
struct ServerCommandLine {
  server::ServerConfig config;
  std::string listen;  // --listen; empty: ServerSettings' default
  std::string parent_ip;
  int parent_port = 0;
  std::vector<std::string> parents;   // --parent
  std::vector<std::string> forwards;  // --forward DOMAIN=ADDR[:PORT]
  std::vector<std::string> allow;
  std::string http;  // --http ADDRESS:PORT; empty: no HTTP endpoint
};

// Every positional argument and option of the command, bound to `line`.
void add_server_options(CLI::App& command, ServerCommandLine& line);

// The config with the text options parsed in and checked; logs the first problem (spdlog).
std::optional<server::ServerConfig> settle(const ServerCommandLine& line);

// The --parent-protocol value that gives `upstream`.
std::string protocol_name(const server::UpstreamSettings& upstream);

}  // namespace resolver::cli

// `resolver server`'s command line: its options, and the ServerConfig they settle into.
//
// Kept apart from server_command.cpp, which runs the server: this half only declares options
// and turns their text into settings; nothing here binds a socket or reads a record file.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config_file.hpp"
#include "resolver/server/settings.hpp"

namespace resolver::cli {

// The options bound to the config directly, and the few kept as text until logging is up,
// because their parse errors are logged like every other start-up error.
struct ServerCommandLine {
  server::ServerConfig config;
  std::string listen;            // --listen; empty: ServerSettings' default
  std::string parent_ip = "-1";  // PARENT_IP PARENT_PORT; -1 -1: none
  int parent_port = -1;
  std::vector<std::string> parents;   // --parent
  std::vector<std::string> forwards;  // --forward DOMAIN=ADDR[:PORT]
  std::vector<std::string> allow;
  std::vector<std::string> proxy_from;  // --proxy-from CIDR
  std::string http;                     // --http ADDRESS:PORT; empty: no HTTP endpoint
  std::string shared_cache;             // --shared-cache redis://HOST[:PORT]; empty: none
  unsigned shared_cache_timeout_ms =    // RedisSettings' default, in the option's unit
      static_cast<unsigned>(server::RedisSettings{}.timeout.count());
  std::string config_file;  // --config FILE; empty: none
  ConfigOrigins origins;    // the options --config set, by key, so their errors name the line
};

// Every positional argument and option of the command, bound to `line`, and --config FILE,
// applied once the command line is parsed (its values fill what the command line left out).
// `command` may be the server subcommand or an app of its own (`resolver check --config`);
// parsing it throws CLI11 errors, a config file's naming FILE:LINE.
void add_server_options(CLI::App& command, ServerCommandLine& line);

// The config with the text options parsed in and checked; logs the first problem (spdlog).
std::optional<server::ServerConfig> settle(const ServerCommandLine& line);

// The --parent-protocol value that gives `upstream`.
std::string protocol_name(const server::UpstreamSettings& upstream);

}  // namespace resolver::cli

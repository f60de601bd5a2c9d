#include <fmt/core.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "resolver/cli/commands.hpp"
#include "resolver/records/local_data.hpp"
#include "server_options.hpp"

namespace resolver::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> records;
  std::vector<std::string> hosts;
  std::uint32_t hosts_ttl = records::kDefaultHostsTtl;
  std::string config;
  CLI::Option* hosts_ttl_option = nullptr;  // given on check's command line?
};

// Each RECORDS file is loaded with every --hosts file, as the server would load it; a hosts
// file's problems are printed once however many record files it is checked with.
int check_files(const CheckOptions& options) {
  std::vector<std::string> record_files = options.records;
  if (record_files.empty()) record_files.emplace_back();  // the hosts files alone
  std::set<std::string> printed;
  auto print_once = [&](const records::Diagnostic& diagnostic) {
    auto text = diagnostic.to_string();
    if (printed.insert(text).second) fmt::print(stderr, "{}\n", text);
  };
  std::set<std::string> summarised;
  int status = kExitOk;
  for (const auto& path : record_files) {
    auto loaded = records::load_local_data({path, options.hosts, options.hosts_ttl});
    for (const auto& diagnostic : loaded.diagnostics) print_once(diagnostic);
    for (const auto& warning : loaded.warnings) print_once(warning);
    if (!loaded.ok()) status = kExitNotFound;
    for (const auto& file : loaded.files) {
      bool clean = std::none_of(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                                [&](const records::Diagnostic& d) { return d.file == file.path; });
      if (clean && summarised.insert(file.path).second) {
        fmt::print("{}: {} records, OK\n", file.path, file.record_lines);
      }
    }
  }
  return status;
}

// The config as `resolver server --config FILE` settles it: the same option declarations,
// file reader and settle(), with check's --hosts and --hosts-ttl passed on as the server's
// command line would pass them. Problems go to stderr; nullopt when there is one.
std::optional<server::ServerConfig> settle_config(const CheckOptions& options) {
  // settle() logs its problems; here they are plain lines on stderr like check's others.
  auto logger =
      std::make_shared<spdlog::logger>("check", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);

  CLI::App server("resolver server", "server");
  ServerCommandLine line;
  add_server_options(server, line);
  std::vector<std::string> args{"--config", options.config};
  for (const auto& hosts : options.hosts) args.insert(args.end(), {"--hosts", hosts});
  if (options.hosts_ttl_option->count() > 0) {
    args.insert(args.end(), {"--hosts-ttl", std::to_string(options.hosts_ttl)});
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    server.parse(args);
  } catch (const CLI::ParseError& error) {
    fmt::print(stderr, "{}\n", error.what());
    return std::nullopt;
  }
  return settle(line);
}

// With --config: the config, then the record and hosts files it names (RECORDS given here
// replace its `records`, as on the server's command line). A config problem is a usage error.
int run_check(CheckOptions options) {
  if (options.config.empty()) return check_files(options);
  auto config = settle_config(options);
  if (!config) return kExitError;
  fmt::print("{}: OK\n", options.config);
  if (options.records.empty()) options.records = {config->records};
  options.hosts = config->hosts;
  options.hosts_ttl = config->hosts_ttl;
  return check_files(options);
}

}  // namespace

Subcommand add_check_command(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  auto* command =
      app.add_subcommand("check",
                         "Validate record files, or a server config file and the files it names, "
                         "without serving them.");
  command->add_option("RECORDS", options->records,
                      "Record files (name,address,ttl and name,TYPE,data,ttl lines)");
  command
      ->add_option("--hosts", options->hosts,
                   "An /etc/hosts-format file checked with each RECORDS file, as the server "
                   "loads them (repeatable)")
      ->take_all();
  options->hosts_ttl_option =
      command->add_option("--hosts-ttl", options->hosts_ttl, "TTL of the records of --hosts files")
          ->check(CLI::Range(std::uint32_t{0}, records::kMaxTtl))
          ->capture_default_str();
  command->add_option("--config", options->config,
                      "A `resolver server --config` file: read as the server reads it, then its "
                      "records and hosts files are checked (RECORDS and --hosts override them)");
  command->footer(
      "Every problem is printed to stderr as FILE:LINE:COL: message; each clean file gets a\n"
      "summary line on stdout. The server loads files with this same parser, so a file that\n"
      "passes here is one the server accepts. With --hosts, each RECORDS file is checked\n"
      "together with the hosts files, as one set (a CNAME in RECORDS beside an address in a\n"
      "hosts file is a problem); warnings (a hosts line skipped) do not fail the check.\n"
      "With --config, the config file is read exactly as `resolver server --config` reads it\n"
      "(its problems as FILE:LINE: message), then the files it names are checked.\n\n"
      "Examples:\n"
      "  resolver check data/ips.txt data/parent.txt\n"
      "  resolver check lan.txt --hosts /etc/hosts\n"
      "  resolver check --config /etc/resolver/resolver.toml\n"
      "  resolver check ips.txt && kill -HUP \"$(pidof resolver)\"   # reload only a good file\n\n"
      "Exit status: 0 when every file is clean, 1 when a record or hosts file has a problem,\n"
      "2 on usage errors and config file problems.");
  // Runs while the command line is parsed, so the error is reported as a usage error (status 2).
  command->callback([options] {
    if (options->records.empty() && options->hosts.empty() && options->config.empty()) {
      throw CLI::RequiredError("RECORDS");
    }
  });
  return {command, [options] { return run_check(*options); }};
}

}  // namespace resolver::cli

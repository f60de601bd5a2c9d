#include <fmt/core.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "resolver/cli/commands.hpp"
#include "resolver/client/lookup.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

struct ClientOptions {
  std::string server;
  int port = 0;
  std::vector<std::string> names;
  bool text = false;
  std::string type = "A";
  std::string format = "ip";
  double timeout_seconds = 2.0;
  int retries = 1;
};

std::string_view trim(std::string_view line) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && blank(line.back())) line.remove_suffix(1);
  return line;
}

std::string_view failure_word(client::LookupStatus status) {
  switch (status) {
    case client::LookupStatus::NxDomain:
      return "NXDOMAIN";
    case client::LookupStatus::NoData:
      return "NODATA";
    case client::LookupStatus::Refused:
      return "REFUSED";
    case client::LookupStatus::FormErr:
      return "FORMERR";
    case client::LookupStatus::Timeout:
      return "TIMEOUT";
    default:
      return "SERVFAIL";
  }
}

class ClientSession {
 public:
  ClientSession(const ClientOptions& options, client::LookupSettings settings, dns::RrType type)
      : options_(options), settings_(settings), type_(type) {}

  // Looks `name` up and prints the outcome; returns the exit status it implies.
  int ask(const std::string& name) {
    auto result = client::lookup(io_, settings_, name, type_);
    if (result.status == client::LookupStatus::Answered) {
      for (const auto& record : result.records) {
        if (options_.format == "record") {
          fmt::print("{},{},{}\n", name, record.address, record.ttl);
        } else {
          fmt::print("{}\n", record.address);
        }
      }
      std::fflush(stdout);
      return kExitOk;
    }
    if (options_.format == "record") {
      std::uint32_t ttl = result.status == client::LookupStatus::NxDomain ||
                                  result.status == client::LookupStatus::NoData
                              ? result.ttl
                              : 0;
      fmt::print("{},{},{}\n", result.status == client::LookupStatus::FormErr ? "" : name,
                 failure_word(result.status), ttl);
      std::fflush(stdout);
    }
    std::string detail = result.detail.empty() ? "" : ": " + result.detail;
    fmt::print(stderr, "resolver: {}: {}{}\n", name, client::describe(result.status), detail);
    bool missing = result.status == client::LookupStatus::NxDomain ||
                   result.status == client::LookupStatus::NoData;
    return missing ? kExitNotFound : kExitError;
  }

 private:
  const ClientOptions& options_;
  client::LookupSettings settings_;
  dns::RrType type_;
  asio::io_context io_{1};
};

int run_client(const ClientOptions& options) {
  boost::system::error_code error;
  auto address = asio::ip::make_address(options.server, error);
  if (error) {
    fmt::print(stderr, "resolver: {}: not an IP address\n", options.server);
    return kExitError;
  }
  client::LookupSettings settings;
  settings.server = {address, static_cast<std::uint16_t>(options.port)};
  settings.text_protocol = options.text;
  settings.timeout = std::chrono::milliseconds(static_cast<long>(options.timeout_seconds * 1000));
  settings.attempts = options.retries + 1;
  auto type = dns::parse_type_name(options.type).value_or(dns::RrType::A);
  ClientSession session(options, settings, type);

  int status = kExitOk;
  auto record = [&status](int outcome) { status = std::max(status, outcome); };
  if (!options.names.empty()) {
    for (const auto& name : options.names) record(session.ask(name));
    return status;
  }
  bool interactive = isatty(STDIN_FILENO);
  std::string line;
  for (;;) {
    if (interactive) {
      fmt::print("> ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line)) break;
    auto name = trim(line);
    if (name.empty()) continue;
    record(session.ask(std::string(name)));
  }
  if (interactive) fmt::print("\n");
  return status;
}

}  // namespace

Subcommand add_client_command(CLI::App& app) {
  auto options = std::make_shared<ClientOptions>();
  auto* command = app.add_subcommand("client", "Look names up on a server.");
  command->add_option("SERVER", options->server, "Server IP address")->required();
  command->add_option("PORT", options->port, "Server UDP port")
      ->required()
      ->check(CLI::Range(1, 65535));
  command->add_option("NAME", options->names,
                      "Names to look up; without them, names are read from stdin, one per line");
  command->add_flag("--text", options->text, "Use the course's text protocol instead of DNS");
  command->add_option("--type", options->type, "Record type to ask for in DNS mode")
      ->check(CLI::IsMember({"A", "AAAA"}, CLI::ignore_case))
      ->capture_default_str();
  command->add_option("--format", options->format,
                      "ip: the addresses, one per line; record: name,address,ttl lines, and "
                      "name,NXDOMAIN,ttl style lines for failures")
      ->check(CLI::IsMember({"ip", "record"}))
      ->capture_default_str();
  command->add_option("--timeout", options->timeout_seconds, "Seconds to wait for each attempt")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  command->add_option("--retries", options->retries, "Attempts after the first")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  command->footer(
      "With NAMEs, looks each up once. Otherwise reads names from stdin: with a prompt when\n"
      "stdin is a terminal, silently (one answer per name, in input order) when it is a pipe.\n"
      "Failures are reported on stderr as 'resolver: NAME: why'.\n\n"
      "Examples:\n"
      "  resolver client 127.0.0.1 1199 www.google.co.il\n"
      "  resolver client 127.0.0.1 1199 --type AAAA ipv6.example.org\n"
      "  printf 'a.example\\nb.example\\n' | resolver client 127.0.0.1 1199 --format record\n\n"
      "Exit status: 0 when every name was answered, 1 when some name does not exist (NXDOMAIN)\n"
      "or has no address of the type (NODATA), 2 on errors (timeout, SERVFAIL, REFUSED, usage).");
  return {command, [options] { return run_client(*options); }};
}

}  // namespace resolver::cli

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <thread>

#include "resolver/cli/commands.hpp"
#include "resolver/records/record_file.hpp"
#include "resolver/server/server.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

struct ServerOptions {
  int port = 0;
  std::string parent_ip;
  int parent_port = 0;
  std::string records;
  std::string listen = "0.0.0.0";
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string parent_protocol = "dns";
  std::size_t cache_size = cache::CacheSettings{}.capacity;
  std::uint32_t negative_ttl = server::HandlerSettings{}.local_negative_ttl;
  bool log_queries = false;
  std::string log_level = "info";
};

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("resolver");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);  // tests and supervisors read stderr as it comes
  spdlog::set_default_logger(logger);
}

// One socket per upstream query means many descriptors under load: use all we may.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Returns the exit status; builds settings from the parsed options.
int run_server(const ServerOptions& options) {
  setup_logging(options.log_level);
  raise_descriptor_limit();

  server::ServerSettings settings;
  boost::system::error_code error;
  auto listen_address = asio::ip::make_address(options.listen, error);
  if (error) {
    spdlog::error("--listen {}: not an IP address", options.listen);
    return kExitError;
  }
  settings.listen = {listen_address, static_cast<std::uint16_t>(options.port)};
  bool root = options.parent_ip == "-1" && options.parent_port == -1;
  if (!root) {
    auto parent_address = asio::ip::make_address(options.parent_ip, error);
    if (error || options.parent_port < 1 || options.parent_port > 65535) {
      spdlog::error("parent {} {}: expected an IP address and a port from 1 to 65535, or -1 -1 "
                    "for no parent",
                    options.parent_ip, options.parent_port);
      return kExitError;
    }
    server::UpstreamSettings upstream;
    upstream.parent = {parent_address, static_cast<std::uint16_t>(options.parent_port)};
    upstream.protocol = options.parent_protocol == "text" ? server::ParentProtocol::Text
                                                          : server::ParentProtocol::Dns;
    settings.upstream = upstream;
  }
  settings.threads = options.threads;
  settings.log_queries = options.log_queries;
  settings.cache.capacity = options.cache_size;
  settings.handler.local_negative_ttl = options.negative_ttl;

  auto file = records::load_record_file(options.records);
  if (!file.ok()) {
    for (const auto& diagnostic : file.diagnostics) spdlog::error("{}", diagnostic.to_string());
    spdlog::error("{}: refused, {} problem(s); nothing is served", options.records,
                  file.diagnostics.size());
    return kExitError;
  }
  auto local = std::make_shared<const records::LocalRecords>(std::move(file.records));

  std::unique_ptr<server::Server> server;
  try {
    server = std::make_unique<server::Server>(settings, local);
  } catch (const boost::system::system_error& bind_error) {
    spdlog::error("cannot listen on {}:{}: {}", options.listen, options.port,
                  bind_error.code().message());
    return kExitError;
  }
  auto bound = server->local_endpoint();
  spdlog::info("listening on {}:{}", bound.address().to_string(), bound.port());
  spdlog::info("{} records for {} names from {}; {}; {} thread(s)", local->record_count(),
               local->name_count(), options.records,
               settings.upstream ? fmt::format("parent {}:{} over {}",
                                               settings.upstream->parent.address().to_string(),
                                               settings.upstream->parent.port(),
                                               options.parent_protocol)
                                 : std::string("no parent (root)"),
               settings.threads);

  asio::io_context signal_io(1);
  asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& wait_error, int signal_number) {
    if (wait_error) return;
    spdlog::info("signal {} received, shutting down", signal_number);
    server->stop();
  });
  std::jthread signal_thread([&] { signal_io.run(); });
  server->run();
  signal_io.stop();
  return kExitOk;
}

}  // namespace

Subcommand add_server_command(CLI::App& app) {
  auto options = std::make_shared<ServerOptions>();
  auto* command = app.add_subcommand(
      "server", "Serve the records of RECORDS over UDP, forwarding other names to a parent.");
  command->add_option("PORT", options->port, "UDP port to listen on (0: any free port)")
      ->required()
      ->check(CLI::Range(0, 65535));
  command->add_option("PARENT_IP", options->parent_ip, "Parent server's IP address, -1 for none")
      ->required();
  command->add_option("PARENT_PORT", options->parent_port, "Parent server's port, -1 for none")
      ->required();
  command->add_option("RECORDS", options->records, "Record file (name,address,ttl lines)")
      ->required();
  command->add_option("--listen", options->listen, "Address to listen on")
      ->capture_default_str();
  command->add_option("--threads", options->threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  command->add_option("--parent-protocol", options->parent_protocol,
                      "How to talk to the parent: dns, or text for the course's protocol")
      ->check(CLI::IsMember({"dns", "text"}))
      ->capture_default_str();
  command->add_option("--cache-size", options->cache_size, "Most answers kept in the cache")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  command->add_option("--negative-ttl", options->negative_ttl,
                      "TTL of NXDOMAIN/NODATA answers for names this server is authoritative for")
      ->capture_default_str();
  command->add_flag("--log-queries", options->log_queries, "Log every query and its outcome");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  command->footer(
      "Examples:\n"
      "  resolver server 1200 -1 -1 data/parent.txt           # a root: no parent\n"
      "  resolver server 1199 127.0.0.1 1200 data/ips.txt     # misses go to the parent\n\n"
      "Exit status: 0 after SIGINT or SIGTERM, 2 when the record file is refused or the port\n"
      "cannot be bound.");
  return {command, [options] { return run_server(*options); }};
}

}  // namespace resolver::cli

#include <grp.h>
#include <pwd.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "resolver/cli/commands.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/records/record_file.hpp"
#include "resolver/server/cache_persistence.hpp"
#include "resolver/server/server.hpp"
#include "resolver/server/settings.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

// The command line: the options bound to the config directly, and the few kept as text until
// logging is up, because their parse errors are logged like every other start-up error.
struct CommandLine {
  server::ServerConfig config;
  std::string listen;  // --listen; empty: ServerSettings' default
  std::string parent_ip;
  int parent_port = 0;
  std::vector<std::string> parents;  // --parent
  std::vector<std::string> allow;
};

// "192.0.2.1:53", "[2001:db8::1]:53" or "host.example:53"; host names are resolved once, now.
// Logs why a value is refused; the caller adds the forms it takes.
std::optional<asio::ip::udp::endpoint> parse_parent(const std::string& text) {
  auto parsed = net::parse_host_port(text);
  if (!parsed.endpoint) spdlog::error("--parent {}: {}", text, parsed.error);
  return parsed.endpoint;
}

// Switches to `user` (after the sockets are bound, so port 53 works). Returns an error or "".
std::string drop_privileges(const std::string& user) {
  const passwd* account = getpwnam(user.c_str());
  if (account == nullptr) return "no such user";
  if (geteuid() != 0) return "only root can switch to another user";
  if (setgroups(0, nullptr) != 0 || setgid(account->pw_gid) != 0 || setuid(account->pw_uid) != 0) {
    return std::strerror(errno);
  }
  if (setuid(0) == 0) return "root privileges could be regained";
  return "";
}

// "52.9 MB, 53 bytes per name" (kB below a megabyte): what the records hold, so the cost of a
// file is visible.
std::string describe_memory(const records::LocalRecords& local) {
  auto bytes = local.memory_bytes();
  auto per_name = local.name_count() == 0 ? 0 : bytes / local.name_count();
  if (bytes < 1000000) {
    return fmt::format("{:.1f} kB, {} bytes per name", static_cast<double>(bytes) / 1e3, per_name);
  }
  return fmt::format("{:.1f} MB, {} bytes per name", static_cast<double>(bytes) / 1e6, per_name);
}

// Loads the record file for a reload; on any problem the data in service stays.
void reload(server::Server& server, const std::string& path) {
  auto file = records::load_local_records(path);
  if (!file.ok()) {
    for (const auto& diagnostic : file.diagnostics) spdlog::error("{}", diagnostic.to_string());
    spdlog::error("{}: reload refused, {} problem(s); the previous records stay in service", path,
                  file.diagnostics.size());
    return;
  }
  auto local = std::move(file.records);
  spdlog::info("reloaded {}: {} records for {} names, {}", path, local->record_count(),
               local->name_count(), describe_memory(*local));
  server.replace_records(std::move(local));
}

// What --watch compares: a change of either means the file was rewritten or replaced.
struct FileStamp {
  std::filesystem::file_time_type modified;
  std::uintmax_t size = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

std::optional<FileStamp> stamp(const std::string& path) {
  std::error_code error;
  FileStamp result{std::filesystem::last_write_time(path, error), 0};
  if (error) return std::nullopt;
  result.size = std::filesystem::file_size(path, error);
  if (error) return std::nullopt;
  return result;
}

// Polls the record file once a second; polling also sees an editor's rename-over-save.
class FileWatch {
 public:
  FileWatch(asio::io_context& io, std::string path, std::function<void()> changed)
      : timer_(io), path_(std::move(path)), changed_(std::move(changed)), last_(stamp(path_)) {
    schedule();
  }

 private:
  void schedule() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      auto now = stamp(path_);
      if (now && now != last_) {
        last_ = now;
        changed_();
      }
      schedule();
    });
  }

  asio::steady_timer timer_;
  std::string path_;
  std::function<void()> changed_;
  std::optional<FileStamp> last_;
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

// The --parent-protocol value that gives `upstream`.
std::string protocol_name(const server::UpstreamSettings& upstream) {
  if (upstream.protocol == server::ParentProtocol::Text) return "text";
  return upstream.transport == server::ParentTransport::Tcp ? "tcp" : "dns";
}

// --listen and --allow into `settings`; logs and returns false on a bad one.
bool parse_listen_and_allow(const CommandLine& line, server::ServerSettings& settings) {
  if (!line.listen.empty()) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(line.listen, error);
    if (error) {
      spdlog::error("--listen {}: not an IP address", line.listen);
      return false;
    }
    settings.listen.address(address);
  }
  if (!line.allow.empty()) {
    std::string bad;
    auto access = server::AccessList::parse(line.allow, bad);
    if (!access) {
      spdlog::error("--allow {}: expected an address or ADDRESS/PREFIX", bad);
      return false;
    }
    settings.access = *access;
  }
  return true;
}

// PARENT_IP PARENT_PORT (unless -1 -1), then each --parent; logs and returns false on a bad one.
bool parse_parents(const CommandLine& line, server::ServerSettings& settings) {
  if (line.parent_ip != "-1" || line.parent_port != -1) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(line.parent_ip, error);
    if (error || line.parent_port < 1 || line.parent_port > 65535) {
      spdlog::error(
          "parent {} {}: expected an IP address and a port from 1 to 65535, or -1 -1 "
          "for no parent",
          line.parent_ip, line.parent_port);
      return false;
    }
    settings.parents.emplace_back(address, static_cast<std::uint16_t>(line.parent_port));
  }
  for (const auto& text : line.parents) {
    auto parent = parse_parent(text);
    if (!parent) {
      spdlog::error("--parent {}: expected ADDRESS:PORT, [IPV6]:PORT or HOST:PORT", text);
      return false;
    }
    settings.parents.push_back(*parent);
  }
  return true;
}

// The config with the text options parsed in and checked; logs the first problem.
std::optional<server::ServerConfig> settle(const CommandLine& line) {
  server::ServerConfig config = line.config;
  if (!parse_listen_and_allow(line, config.server) || !parse_parents(line, config.server)) {
    return std::nullopt;
  }
  const auto& cache = config.server.cache;
  if (cache.min_ttl > cache.max_ttl) {
    spdlog::error("--min-ttl {} is above --max-ttl {}", cache.min_ttl, cache.max_ttl);
    return std::nullopt;
  }
  return config;
}

// Null when the file is refused (the problems are logged).
std::shared_ptr<const records::LocalRecords> load_records(const std::string& path) {
  auto file = records::load_local_records(path);
  if (!file.ok()) {
    for (const auto& diagnostic : file.diagnostics) spdlog::error("{}", diagnostic.to_string());
    spdlog::error("{}: refused, {} problem(s); nothing is served", path, file.diagnostics.size());
    return nullptr;
  }
  return std::move(file.records);
}

// Binds the port. Without --listen, the default (::, IPv6 and IPv4) is tried, then 0.0.0.0 for
// a host without IPv6. Null (logged) when the port cannot be bound.
std::unique_ptr<server::Server> start_server(server::ServerSettings settings,
                                             std::shared_ptr<const records::LocalRecords> local,
                                             bool listen_given) {
  for (;;) {
    try {
      return std::make_unique<server::Server>(settings, local);
    } catch (const boost::system::system_error& error) {
      if (listen_given || settings.listen.address().is_v4()) {
        spdlog::error("cannot listen on {}: {}", net::endpoint_text(settings.listen),
                      error.code().message());
        return nullptr;
      }
      settings.listen.address(asio::ip::address_v4::any());
    }
  }
}

// Logs and returns false when the switch to `user` fails; an empty user stays.
bool switch_user(const std::string& user) {
  if (user.empty()) return true;
  if (auto problem = drop_privileges(user); !problem.empty()) {
    spdlog::error("--user {}: {}", user, problem);
    return false;
  }
  spdlog::info("running as user {}", user);
  return true;
}

// Loaded as the user that will save it, before anything is served (queries wait in the socket
// until run()); a bad file costs only the warm start.
void load_cache(server::Server& server, const std::string& path) {
  if (path.empty()) return;
  std::string error;
  auto loaded = server::load_cache_file(server.cache(), path, error);
  if (error.empty()) {
    spdlog::info("loaded {} cache entries from {}", loaded, path);
  } else {
    spdlog::error("{}: ignored: {}", path, error);
  }
}

void log_start(const server::Server& server, const records::LocalRecords& local,
               const server::ServerConfig& config) {
  const auto& settings = config.server;
  spdlog::info("listening on {} ({})", net::endpoint_text(server.local_endpoint()),
               settings.tcp.enabled ? "UDP and TCP" : "UDP only");
  std::string parents;
  for (const auto& parent : settings.parents) {
    parents += (parents.empty() ? "" : ", ") + net::endpoint_text(parent);
  }
  spdlog::info("{} records for {} names from {} ({}); {}; {} thread(s)", local.record_count(),
               local.name_count(), config.records, describe_memory(local),
               parents.empty()
                   ? std::string("no parent (root)")
                   : fmt::format("parent {} over {}", parents, protocol_name(settings.upstream)),
               settings.threads);
}

// Serves until SIGINT or SIGTERM. Signals, reloads, the file watch and the cache saves run on
// their own thread, off the serving path.
// `announce` runs once the signals are caught: a supervisor (or test) that signals the server
// as soon as it logs that it serves must not meet the default action, which kills it.
void serve(server::Server& server, const server::ServerConfig& config,
           const std::function<void()>& announce) {
  asio::io_context control_io(1);
  asio::signal_set signals(control_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& wait_error, int signal_number) {
        if (wait_error) return;
        if (signal_number == SIGHUP) {
          spdlog::info("SIGHUP received, reloading {}", config.records);
          reload(server, config.records);
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("signal {} received, shutting down", signal_number);
        server.stop();
      };
  signals.async_wait(on_signal);
  announce();
  std::optional<FileWatch> watch;
  if (config.watch) {
    watch.emplace(control_io, config.records, [&] {
      spdlog::info("{} changed, reloading", config.records);
      reload(server, config.records);
    });
  }
  std::optional<server::CachePersistence> persistence;
  if (!config.cache_file.empty()) {
    persistence.emplace(control_io, server.cache(), config.cache_file, config.cache_save_interval);
  }
  std::jthread control_thread([&] { control_io.run(); });
  server.run();
  control_io.stop();
  if (persistence) persistence->save(true);
}

// Returns the exit status.
int run_server(const CommandLine& line) {
  setup_logging(line.config.log_level);
  raise_descriptor_limit();
  auto config = settle(line);
  if (!config) return kExitError;
  auto local = load_records(config->records);
  if (!local) return kExitError;
  auto server = start_server(config->server, local, !line.listen.empty());
  if (!server || !switch_user(config->user)) return kExitError;
  load_cache(*server, config->cache_file);
  serve(*server, *config, [&] {
    log_start(*server, *local, *config);
    // The server holds the records from here on; a reference kept here would keep the first
    // file resident beside every reloaded one.
    local.reset();
  });
  return kExitOk;
}

// Binds a whole number of seconds (CLI11 converts no std::chrono type): read as an unsigned
// integer, shown with the field's value as its default.
CLI::Option* add_seconds(CLI::App& command, const std::string& name, std::chrono::seconds& field,
                         const std::string& description) {
  return command
      .add_option_function<std::uint32_t>(
          name, [&field](const std::uint32_t& value) { field = std::chrono::seconds(value); },
          description)
      ->default_str(std::to_string(field.count()));
}

// PORT PARENT_IP PARENT_PORT RECORDS.
void add_arguments(CLI::App& command, CommandLine& line) {
  auto& config = line.config;
  auto& settings = config.server;
  command
      .add_option_function<int>(
          "PORT",
          [&settings](const int& port) { settings.listen.port(static_cast<std::uint16_t>(port)); },
          "UDP port to listen on (0: any free port)")
      ->required()
      ->check(CLI::Range(0, 65535));
  command.add_option("PARENT_IP", line.parent_ip, "Parent server's IP address, -1 for none")
      ->required();
  command.add_option("PARENT_PORT", line.parent_port, "Parent server's port, -1 for none")
      ->required();
  command.add_option("RECORDS", config.records, "Record file (name,address,ttl lines)")->required();
}

// Where to listen and how to reach the parents.
void add_network_options(CLI::App& command, CommandLine& line) {
  auto& settings = line.config.server;
  command.add_option("--listen", line.listen,
                     "Address to listen on (default: :: for IPv6 and IPv4, else 0.0.0.0)");
  command.add_option("--threads", settings.threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  auto& upstream = settings.upstream;
  command
      .add_option_function<std::string>(
          "--parent-protocol",
          [&upstream](const std::string& name) {
            upstream.protocol =
                name == "text" ? server::ParentProtocol::Text : server::ParentProtocol::Dns;
            upstream.transport =
                name == "tcp" ? server::ParentTransport::Tcp : server::ParentTransport::Udp;
          },
          "How to talk to the parents: dns (UDP, truncated answers again over TCP), tcp (DNS "
          "over TCP only), or text for the course's protocol (UDP)")
      ->check(CLI::IsMember({"dns", "tcp", "text"}))
      ->default_str(protocol_name(upstream));
  command
      .add_option("--parent", line.parents,
                  "Another parent, ADDRESS:PORT, [IPV6]:PORT or HOST:PORT (repeatable); "
                  "failover between parents, the fastest preferred")
      ->take_all();
}

void add_cache_options(CLI::App& command, server::ServerConfig& config) {
  auto& settings = config.server;
  command.add_option("--cache-size", settings.cache.capacity, "Most answers kept in the cache")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000'000}))
      ->capture_default_str();
  command.add_option("--min-ttl", settings.cache.min_ttl, "Keep cached answers at least this long")
      ->capture_default_str();
  command.add_option("--max-ttl", settings.cache.max_ttl, "Keep cached answers at most this long")
      ->capture_default_str();
  command
      .add_option("--max-negative-ttl", settings.cache.max_negative_ttl,
                  "Keep NXDOMAIN/NODATA answers at most this long")
      ->capture_default_str();
  command.add_flag_callback(
      "--no-serve-stale", [&settings] { settings.handler.serve_stale = false; },
      "Never answer with expired data when the parent fails (RFC 8767)");
  add_seconds(command, "--max-stale", settings.cache.max_stale,
              "Serve expired answers at most this many seconds past their TTL");
  command.add_option("--cache-file", config.cache_file,
                     "Keep the cache in this file: loaded at start, saved periodically and at "
                     "shutdown (written atomically; a corrupt file is ignored)");
  add_seconds(command, "--cache-save-interval", config.cache_save_interval,
              "Seconds between saves of --cache-file")
      ->check(CLI::Range(1u, 86'400u));
}

// Reloads, access, limits, the user and logging.
void add_serving_options(CLI::App& command, CommandLine& line) {
  auto& config = line.config;
  auto& settings = config.server;
  command.add_flag("--watch", config.watch,
                   "Reload RECORDS when it changes (SIGHUP always reloads it)");
  command
      .add_option("--negative-ttl", settings.handler.local_negative_ttl,
                  "TTL of NXDOMAIN/NODATA answers for names this server is authoritative for")
      ->capture_default_str();
  command
      .add_option("--allow", line.allow,
                  "Clients allowed, ADDRESS/PREFIX (repeatable); replaces the default of "
                  "loopback and private networks; others get REFUSED")
      ->take_all();
  command
      .add_option("--rate-limit", settings.rate_limit,
                  "Queries per second per client (IPv4 address, IPv6 /64); excess is "
                  "dropped; 0: no limit")
      ->capture_default_str();
  command
      .add_option("--max-in-flight", settings.limits.max_in_flight,
                  "Questions asked of the parents at once, per thread; beyond, SERVFAIL")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  command
      .add_option("--max-waiting", settings.limits.max_waiters,
                  "Clients waiting on one question; beyond, SERVFAIL")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  command.add_option("--user", config.user,
                     "Switch to this user after binding the port (start as root for port 53)");
  command.add_flag("--log-queries", settings.log_queries, "Log every query and its outcome");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

void add_tcp_options(CLI::App& command, server::TcpSettings& tcp) {
  command.add_flag_function(
      "--no-tcp", [&tcp](std::int64_t) { tcp.enabled = false; },
      "Serve UDP only (RFC 7766 expects TCP: answers too big for a datagram then fail)");
  command
      .add_option_function<unsigned>(
          "--tcp-idle-timeout",
          [&tcp](unsigned seconds) { tcp.idle_timeout = std::chrono::seconds(seconds); },
          "Seconds a TCP connection may stay without a query or a reply before it is closed")
      ->check(CLI::Range(1u, 3600u))
      ->default_str(std::to_string(tcp.idle_timeout.count()));
  command
      .add_option("--tcp-max-connections", tcp.max_connections,
                  "Open TCP connections at once, all threads together; beyond, new ones are "
                  "closed")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  command
      .add_option("--tcp-max-queries", tcp.max_queries,
                  "Queries of one TCP connection answered at once; beyond, it is read no further "
                  "until some are answered")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
}

}  // namespace

Subcommand add_server_command(CLI::App& app) {
  auto line = std::make_shared<CommandLine>();
  auto* command = app.add_subcommand(
      "server",
      "Serve the records of RECORDS over UDP and TCP, forwarding other names to a parent.");
  add_arguments(*command, *line);
  add_network_options(*command, *line);
  add_cache_options(*command, line->config);
  add_serving_options(*command, *line);
  add_tcp_options(*command, line->config.server.tcp);
  command->footer(
      "Examples:\n"
      "  resolver server 1200 -1 -1 data/parent.txt           # a root: no parent\n"
      "  resolver server 1199 127.0.0.1 1200 data/ips.txt     # misses go to the parent\n\n"
      "Exit status: 0 after SIGINT or SIGTERM, 2 when the record file is refused or the port\n"
      "cannot be bound.");
  return {command, [line] { return run_server(*line); }};
}

}  // namespace resolver::cli

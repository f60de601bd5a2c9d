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
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "file_watch.hpp"
#include "resolver/cli/commands.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/records/local_data.hpp"
#include "resolver/records/record_file.hpp"
#include "resolver/server/cache_persistence.hpp"
#include "resolver/server/metrics_endpoint.hpp"
#include "resolver/server/query_log.hpp"
#include "resolver/server/server.hpp"
#include "resolver/server/settings.hpp"
#include "server_options.hpp"
#include "service_notifier.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

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

// RECORDS and the --hosts files, as the log names them.
std::string describe_files(const server::ServerConfig& config) {
  std::string files = config.records;
  for (const auto& hosts : config.hosts) files += ", " + hosts;
  return files;
}

// Everything the server answers from, in one set: RECORDS and the --hosts files.
records::LoadedRecords load_files(const server::ServerConfig& config) {
  return records::load_local_data({config.records, config.hosts, config.hosts_ttl});
}

// Logs what a load found: its problems, or the warnings of a set that loads.
void log_problems(const records::LoadedRecords& loaded) {
  for (const auto& diagnostic : loaded.diagnostics) spdlog::error("{}", diagnostic.to_string());
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", warning.to_string());
}

// Loads the files again for a reload; on any problem the data in service stays. Returns what
// was logged last, the outcome, for systemd's status line.
std::string reload(server::Server& server, const server::ServerConfig& config) {
  auto files = describe_files(config);
  auto loaded = load_files(config);
  log_problems(loaded);
  if (!loaded.ok()) {
    auto outcome =
        fmt::format("{}: reload refused, {} problem(s); the previous records stay in service",
                    files, loaded.diagnostics.size());
    spdlog::error("{}", outcome);
    server.record_reload(false);
    return outcome;
  }
  auto local = std::move(loaded.records);
  auto outcome = fmt::format("reloaded {}: {} records for {} names, {}", files,
                             local->record_count(), local->name_count(), describe_memory(*local));
  spdlog::info("{}", outcome);
  server.replace_records(std::move(local));
  server.record_reload(true);
  return outcome;
}

// A reload with systemd told before and after, so `systemctl reload` waits for it and
// `systemctl status` shows whether it was taken.
void reload_notifying(server::Server& server, const server::ServerConfig& config,
                      ServiceNotifier& notifier) {
  notifier.reloading("reloading " + describe_files(config));
  notifier.ready(reload(server, config));
}

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

// Null when the files are refused (the problems are logged).
std::shared_ptr<const records::LocalRecords> load_records(const server::ServerConfig& config) {
  auto loaded = load_files(config);
  log_problems(loaded);
  if (!loaded.ok()) {
    spdlog::error("{}: refused, {} problem(s); nothing is served", describe_files(config),
                  loaded.diagnostics.size());
    return nullptr;
  }
  return std::move(loaded.records);
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

// The --http endpoint, bound before the switch to --user like the DNS port. Null when none is
// asked for; nullopt (logged) when the address cannot be bound.
std::optional<std::unique_ptr<server::MetricsEndpoint>> start_metrics(
    server::Server& server, const server::ServerConfig& config) {
  if (!config.http) return std::unique_ptr<server::MetricsEndpoint>();
  try {
    auto endpoint = std::make_unique<server::MetricsEndpoint>(
        *config.http, [&server] { return server.metrics(); });
    auto bound = endpoint->local_endpoint();
    spdlog::info("serving /metrics, /health and /ready on http://{}",
                 net::endpoint_text(asio::ip::udp::endpoint(bound.address(), bound.port())));
    return endpoint;
  } catch (const boost::system::system_error& error) {
    auto wanted = asio::ip::udp::endpoint(config.http->address(), config.http->port());
    spdlog::error("--http {}: cannot listen: {}", net::endpoint_text(wanted),
                  error.code().message());
    return std::nullopt;
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
  auto list = [](const std::vector<asio::ip::udp::endpoint>& endpoints) {
    std::string text;
    for (const auto& endpoint : endpoints) {
      text += (text.empty() ? "" : ", ") + net::endpoint_text(endpoint);
    }
    return text;
  };
  for (const auto& zone : settings.forwards) {
    spdlog::info("forwarding {} and the names below it to {} over {}", zone.domain.to_text(),
                 list(zone.parents), protocol_name(settings.upstream));
  }
  auto parents = list(settings.parents);
  spdlog::info("{} records for {} names from {} ({}); {}; {} thread(s)", local.record_count(),
               local.name_count(), describe_files(config), describe_memory(local),
               parents.empty()
                   ? std::string("no parent (root)")
                   : fmt::format("parent {} over {}", parents, protocol_name(settings.upstream)),
               settings.threads);
}

// --log-queries=json buffers its lines (query_log.hpp): they go out once a second.
void flush_query_log_every_second(asio::steady_timer& timer) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer](const boost::system::error_code& error) {
    if (error) return;
    server::flush_query_log();
    flush_query_log_every_second(timer);
  });
}

// Serves until SIGINT or SIGTERM. Signals, reloads, the file watch, the cache saves and the
// watchdog pings run on their own thread, off the serving path.
// `announce` runs once the signals are caught and the watch has stamped the files: a supervisor
// (or test) that signals the server, or changes a file, as soon as it hears that the server is
// ready must neither meet the default action, which kills it, nor have the change go unseen.
void serve(server::Server& server, const server::ServerConfig& config, ServiceNotifier& notifier,
           const std::function<void()>& announce) {
  asio::io_context control_io(1);
  asio::signal_set signals(control_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& wait_error, int signal_number) {
        if (wait_error) return;
        if (signal_number == SIGHUP) {
          spdlog::info("SIGHUP received, reloading {}", describe_files(config));
          reload_notifying(server, config, notifier);
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("signal {} received, shutting down", signal_number);
        notifier.stopping(fmt::format("shutting down on signal {}", signal_number));
        server.stop();
      };
  signals.async_wait(on_signal);
  std::optional<FileWatch> watch;
  if (config.watch) {
    std::vector<std::string> files{config.records};
    files.insert(files.end(), config.hosts.begin(), config.hosts.end());
    watch.emplace(control_io, std::move(files), [&](const std::string& changed) {
      spdlog::info("{} changed, reloading", changed);
      reload_notifying(server, config, notifier);
    });
  }
  std::optional<server::CachePersistence> persistence;
  if (!config.cache_file.empty()) {
    persistence.emplace(control_io, server.cache(), config.cache_file, config.cache_save_interval);
  }
  announce();
  WatchdogPing watchdog(control_io, notifier);
  asio::steady_timer query_log_flush(control_io);
  if (config.server.log_queries == server::QueryLogFormat::Json) {
    flush_query_log_every_second(query_log_flush);
  }
  std::jthread control_thread([&] { control_io.run(); });
  server.run();
  control_io.stop();
  server::flush_query_log();
  if (persistence) persistence->save(true);
}

// Returns the exit status.
int run_server(const ServerCommandLine& line) {
  setup_logging(line.config.log_level);
  raise_descriptor_limit();
  auto config = settle(line);
  if (!config) return kExitError;
  auto local = load_records(*config);
  if (!local) return kExitError;
  auto server = start_server(config->server, local, !line.listen.empty());
  if (!server) return kExitError;
  auto metrics = start_metrics(*server, *config);
  if (!metrics || !switch_user(config->user)) return kExitError;
  load_cache(*server, config->cache_file);
  ServiceNotifier notifier;
  serve(*server, *config, notifier, [&] {
    log_start(*server, *local, *config);
    notifier.ready(fmt::format("serving {} records for {} names on {}", local->record_count(),
                               local->name_count(), net::endpoint_text(server->local_endpoint())));
    // The server holds the records from here on; a reference kept here would keep the first
    // file resident beside every reloaded one.
    local.reset();
  });
  return kExitOk;
}

}  // namespace

Subcommand add_server_command(CLI::App& app) {
  auto line = std::make_shared<ServerCommandLine>();
  auto* command = app.add_subcommand(
      "server",
      "Serve the records of RECORDS over UDP and TCP, forwarding other names to a parent.");
  add_server_options(*command, *line);
  command->footer(
      "Examples:\n"
      "  resolver server 1200 -1 -1 data/parent.txt           # a root: no parent\n"
      "  resolver server 1199 127.0.0.1 1200 data/ips.txt     # misses go to the parent\n"
      "  resolver server 53 -1 -1 lan.txt --hosts /etc/hosts --forward corp.example=10.0.0.1\n"
      "                                                       # split DNS: corp.example's names\n"
      "                                                       # go to 10.0.0.1:53, others "
      "NXDOMAIN\n\n"
      "Exit status: 0 after SIGINT or SIGTERM, 2 when the record file is refused or the port\n"
      "cannot be bound.");
  return {command, [line] { return run_server(*line); }};
}

}  // namespace resolver::cli

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
#include <charconv>
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

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

struct ServerOptions {
  int port = 0;
  std::string parent_ip;
  int parent_port = 0;
  std::string records;
  std::string listen;  // default: "::" (IPv6 and IPv4), or "0.0.0.0" where IPv6 is off
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> extra_parents;
  std::string parent_protocol = "dns";
  std::size_t cache_size = cache::CacheSettings{}.capacity;
  std::uint32_t min_ttl = cache::CacheSettings{}.min_ttl;
  std::uint32_t max_ttl = cache::CacheSettings{}.max_ttl;
  std::uint32_t max_negative_ttl = cache::CacheSettings{}.max_negative_ttl;
  bool no_serve_stale = false;
  std::uint32_t max_stale = static_cast<std::uint32_t>(cache::CacheSettings{}.max_stale.count());
  std::string cache_file;  // empty: the cache is not persisted
  std::uint32_t cache_save_interval =
      static_cast<std::uint32_t>(server::CachePersistence::kDefaultInterval.count());
  std::uint32_t negative_ttl = server::HandlerSettings{}.local_negative_ttl;
  bool watch = false;
  std::vector<std::string> allow;
  std::uint32_t rate_limit = 0;
  std::size_t max_in_flight = server::ForwarderLimits{}.max_in_flight;
  std::size_t max_waiting = server::ForwarderLimits{}.max_waiters;
  std::string user;
  bool log_queries = false;
  std::string log_level = "info";
};

// "192.0.2.1:53", "[2001:db8::1]:53" or "host.example:53"; host names are resolved once, now.
std::optional<asio::ip::udp::endpoint> parse_parent(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int number = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return std::nullopt;
  }
  boost::system::error_code address_error;
  auto address = asio::ip::make_address(host, address_error);
  if (!address_error) return asio::ip::udp::endpoint(address, static_cast<std::uint16_t>(number));
  asio::io_context io;
  asio::ip::udp::resolver resolver(io);
  auto results = resolver.resolve(host, port, address_error);
  if (address_error || results.empty()) return std::nullopt;
  return results.begin()->endpoint();
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

// Returns the exit status; builds settings from the parsed options.
int run_server(const ServerOptions& options) {
  setup_logging(options.log_level);
  raise_descriptor_limit();

  server::ServerSettings settings;
  boost::system::error_code error;
  auto listen_address =
      asio::ip::make_address(options.listen.empty() ? "::" : options.listen, error);
  if (error) {
    spdlog::error("--listen {}: not an IP address", options.listen);
    return kExitError;
  }
  settings.listen = {listen_address, static_cast<std::uint16_t>(options.port)};
  if (!options.allow.empty()) {
    std::string bad;
    auto access = server::AccessList::parse(options.allow, bad);
    if (!access) {
      spdlog::error("--allow {}: expected an address or ADDRESS/PREFIX", bad);
      return kExitError;
    }
    settings.access = *access;
  }
  settings.rate_limit = options.rate_limit;
  settings.limits.max_in_flight = options.max_in_flight;
  settings.limits.max_waiters = options.max_waiting;
  bool root = options.parent_ip == "-1" && options.parent_port == -1;
  if (!root) {
    auto parent_address = asio::ip::make_address(options.parent_ip, error);
    if (error || options.parent_port < 1 || options.parent_port > 65535) {
      spdlog::error(
          "parent {} {}: expected an IP address and a port from 1 to 65535, or -1 -1 "
          "for no parent",
          options.parent_ip, options.parent_port);
      return kExitError;
    }
    settings.parents.emplace_back(parent_address, static_cast<std::uint16_t>(options.parent_port));
  }
  for (const auto& text : options.extra_parents) {
    auto parent = parse_parent(text);
    if (!parent) {
      spdlog::error("--parent {}: expected ADDRESS:PORT, [IPV6]:PORT or HOST:PORT", text);
      return kExitError;
    }
    settings.parents.push_back(*parent);
  }
  settings.upstream.protocol = options.parent_protocol == "text" ? server::ParentProtocol::Text
                                                                 : server::ParentProtocol::Dns;
  if (options.min_ttl > options.max_ttl) {
    spdlog::error("--min-ttl {} is above --max-ttl {}", options.min_ttl, options.max_ttl);
    return kExitError;
  }
  settings.threads = options.threads;
  settings.log_queries = options.log_queries;
  settings.cache.capacity = options.cache_size;
  settings.cache.min_ttl = options.min_ttl;
  settings.cache.max_ttl = options.max_ttl;
  settings.cache.max_negative_ttl = options.max_negative_ttl;
  settings.cache.max_stale = std::chrono::seconds(options.max_stale);
  settings.handler.serve_stale = !options.no_serve_stale;
  settings.handler.local_negative_ttl = options.negative_ttl;

  auto file = records::load_local_records(options.records);
  if (!file.ok()) {
    for (const auto& diagnostic : file.diagnostics) spdlog::error("{}", diagnostic.to_string());
    spdlog::error("{}: refused, {} problem(s); nothing is served", options.records,
                  file.diagnostics.size());
    return kExitError;
  }
  auto local = std::move(file.records);

  std::unique_ptr<server::Server> server;
  try {
    server = std::make_unique<server::Server>(settings, local);
  } catch (const boost::system::system_error& bind_error) {
    if (!options.listen.empty()) {
      spdlog::error("cannot listen on {}: {}", net::endpoint_text(settings.listen),
                    bind_error.code().message());
      return kExitError;
    }
    // No IPv6 on this host: the default falls back to IPv4 only.
    settings.listen.address(asio::ip::address_v4::any());
    try {
      server = std::make_unique<server::Server>(settings, local);
    } catch (const boost::system::system_error& v4_error) {
      spdlog::error("cannot listen on {}: {}", net::endpoint_text(settings.listen),
                    v4_error.code().message());
      return kExitError;
    }
  }
  if (!options.user.empty()) {
    if (auto problem = drop_privileges(options.user); !problem.empty()) {
      spdlog::error("--user {}: {}", options.user, problem);
      return kExitError;
    }
    spdlog::info("running as user {}", options.user);
  }
  // Loaded as the user that will save it, before anything is served (queries wait in the
  // socket until run()); a bad file costs only the warm start.
  if (!options.cache_file.empty()) {
    std::string cache_error;
    auto loaded = server::load_cache_file(server->cache(), options.cache_file, cache_error);
    if (cache_error.empty()) {
      spdlog::info("loaded {} cache entries from {}", loaded, options.cache_file);
    } else {
      spdlog::error("{}: ignored: {}", options.cache_file, cache_error);
    }
  }
  spdlog::info("listening on {}", net::endpoint_text(server->local_endpoint()));
  std::string parents;
  for (const auto& parent : settings.parents) {
    parents += (parents.empty() ? "" : ", ") + net::endpoint_text(parent);
  }
  spdlog::info("{} records for {} names from {} ({}); {}; {} thread(s)", local->record_count(),
               local->name_count(), options.records, describe_memory(*local),
               parents.empty() ? std::string("no parent (root)")
                               : fmt::format("parent {} over {}", parents, options.parent_protocol),
               settings.threads);
  // The server holds the records from here on; a reference kept here would keep the first file
  // resident beside every reloaded one.
  local.reset();

  // Signals, reloads and the file watch run on their own thread, off the serving path.
  asio::io_context control_io(1);
  asio::signal_set signals(control_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& wait_error, int signal_number) {
        if (wait_error) return;
        if (signal_number == SIGHUP) {
          spdlog::info("SIGHUP received, reloading {}", options.records);
          reload(*server, options.records);
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("signal {} received, shutting down", signal_number);
        server->stop();
      };
  signals.async_wait(on_signal);
  std::optional<FileWatch> watch;
  if (options.watch) {
    watch.emplace(control_io, options.records, [&] {
      spdlog::info("{} changed, reloading", options.records);
      reload(*server, options.records);
    });
  }
  std::optional<server::CachePersistence> persistence;
  if (!options.cache_file.empty()) {
    persistence.emplace(control_io, server->cache(), options.cache_file,
                        std::chrono::seconds(options.cache_save_interval));
  }
  std::jthread control_thread([&] { control_io.run(); });
  server->run();
  control_io.stop();
  if (persistence) persistence->save(true);
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
  command->add_option("--listen", options->listen,
                      "Address to listen on (default: :: for IPv6 and IPv4, else 0.0.0.0)");
  command->add_option("--threads", options->threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  command
      ->add_option("--parent-protocol", options->parent_protocol,
                   "How to talk to the parent: dns, or text for the course's protocol")
      ->check(CLI::IsMember({"dns", "text"}))
      ->capture_default_str();
  command
      ->add_option("--parent", options->extra_parents,
                   "Another parent, ADDRESS:PORT, [IPV6]:PORT or HOST:PORT (repeatable); "
                   "failover between parents, the fastest preferred")
      ->take_all();
  command->add_option("--cache-size", options->cache_size, "Most answers kept in the cache")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000'000}))
      ->capture_default_str();
  command->add_option("--min-ttl", options->min_ttl, "Keep cached answers at least this long")
      ->capture_default_str();
  command->add_option("--max-ttl", options->max_ttl, "Keep cached answers at most this long")
      ->capture_default_str();
  command
      ->add_option("--max-negative-ttl", options->max_negative_ttl,
                   "Keep NXDOMAIN/NODATA answers at most this long")
      ->capture_default_str();
  command->add_flag("--no-serve-stale", options->no_serve_stale,
                    "Never answer with expired data when the parent fails (RFC 8767)");
  command
      ->add_option("--max-stale", options->max_stale,
                   "Serve expired answers at most this many seconds past their TTL")
      ->capture_default_str();
  command->add_option("--cache-file", options->cache_file,
                      "Keep the cache in this file: loaded at start, saved periodically and at "
                      "shutdown (written atomically; a corrupt file is ignored)");
  command
      ->add_option("--cache-save-interval", options->cache_save_interval,
                   "Seconds between saves of --cache-file")
      ->check(CLI::Range(1u, 86'400u))
      ->capture_default_str();
  command->add_flag("--watch", options->watch,
                    "Reload RECORDS when it changes (SIGHUP always reloads it)");
  command
      ->add_option("--negative-ttl", options->negative_ttl,
                   "TTL of NXDOMAIN/NODATA answers for names this server is authoritative for")
      ->capture_default_str();
  command
      ->add_option("--allow", options->allow,
                   "Clients allowed, ADDRESS/PREFIX (repeatable); replaces the default of "
                   "loopback and private networks; others get REFUSED")
      ->take_all();
  command
      ->add_option("--rate-limit", options->rate_limit,
                   "Queries per second per client (IPv4 address, IPv6 /64); excess is "
                   "dropped; 0: no limit")
      ->capture_default_str();
  command
      ->add_option("--max-in-flight", options->max_in_flight,
                   "Questions asked of the parents at once, per thread; beyond, SERVFAIL")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  command
      ->add_option("--max-waiting", options->max_waiting,
                   "Clients waiting on one question; beyond, SERVFAIL")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  command->add_option("--user", options->user,
                      "Switch to this user after binding the port (start as root for port 53)");
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

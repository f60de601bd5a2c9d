#include "server_options.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "resolver/dns/name.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/records/record_file.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;

// "FILE:LINE: " when the config file gave `key`, so that a value refused here (after CLI11's own
// checks) names its line like one refused while the file is read; "" for the command line.
std::string origin(const ServerCommandLine& line, const std::string& key) {
  auto found = line.origins.find(key);
  return found == line.origins.end() ? std::string() : found->second + ": ";
}

// "192.0.2.1:53", "[2001:db8::1]:53" or "host.example:53"; host names are resolved once, now.
// Logs why a value is refused; the caller adds the forms it takes.
std::optional<asio::ip::udp::endpoint> parse_parent(const ServerCommandLine& line,
                                                    const std::string& text) {
  auto parsed = net::parse_host_port(text);
  if (!parsed.endpoint)
    spdlog::error("{}--parent {}: {}", origin(line, "parent"), text, parsed.error);
  return parsed.endpoint;
}

// "redis://HOST[:PORT]", the port 6379 by default, as Redis's own tools take it.
net::EndpointParse parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return {std::nullopt, "expected redis://HOST[:PORT]"};
  std::string host_port(url.substr(kScheme.size()));
  if (!host_port.empty() && host_port.back() == '/') host_port.pop_back();
  bool has_port = host_port.find(':') != std::string::npos && host_port.back() != ']';
  if (!has_port) host_port += ":6379";
  return net::parse_host_port(host_port);
}

// --listen, --allow and --proxy-from into `settings`; logs and returns false on a bad one.
bool parse_listen_and_allow(const ServerCommandLine& line, server::ServerSettings& settings) {
  if (!line.listen.empty()) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(line.listen, error);
    if (error) {
      spdlog::error("{}--listen {}: not an IP address", origin(line, "listen"), line.listen);
      return false;
    }
    settings.listen.address(address);
  }
  if (!line.allow.empty()) {
    std::string bad;
    auto access = server::AccessList::parse(line.allow, bad);
    if (!access) {
      spdlog::error("{}--allow {}: expected an address or ADDRESS/PREFIX", origin(line, "allow"),
                    bad);
      return false;
    }
    settings.access = *access;
  }
  if (!line.proxy_from.empty()) {
    std::string bad;
    auto proxies = server::AccessList::parse(line.proxy_from, bad);
    if (!proxies) {
      spdlog::error("{}--proxy-from {}: expected an address or ADDRESS/PREFIX",
                    origin(line, "proxy-from"), bad);
      return false;
    }
    settings.proxies = *proxies;
  }
  return true;
}

// PARENT_IP PARENT_PORT (unless -1 -1), then each --parent; logs and returns false on a bad one.
bool parse_parents(const ServerCommandLine& line, server::ServerSettings& settings) {
  if (line.parent_ip != "-1" || line.parent_port != -1) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(line.parent_ip, error);
    if (error || line.parent_port < 1 || line.parent_port > 65535) {
      spdlog::error(
          "{}parent {} {}: expected an IP address and a port from 1 to 65535, or -1 -1 "
          "for no parent",
          origin(line, line.origins.contains("parent-ip") ? "parent-ip" : "parent-port"),
          line.parent_ip, line.parent_port);
      return false;
    }
    settings.parents.emplace_back(address, static_cast<std::uint16_t>(line.parent_port));
  }
  for (const auto& text : line.parents) {
    auto parent = parse_parent(line, text);
    if (!parent) {
      spdlog::error("{}--parent {}: expected ADDRESS:PORT, [IPV6]:PORT or HOST:PORT",
                    origin(line, "parent"), text);
      return false;
    }
    settings.parents.push_back(*parent);
  }
  return true;
}

// "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]", "[2001:db8::1]:5353", "2001:db8::1" (a bare
// IPv6 address has no port) or a host name, with or without ":PORT"; the port defaults to 53.
net::EndpointParse parse_forward_address(std::string_view text) {
  constexpr std::uint16_t kDnsPort = 53;
  bool bracketed = text.starts_with('[');
  if (bracketed && text.find(']') == std::string_view::npos) {
    return {std::nullopt, "no ']' after the IPv6 address"};
  }
  // With a port: "[IPV6]:PORT", or one colon ("ADDRESS:PORT", "HOST:PORT"); a bare IPv6
  // address has two or more.
  bool has_port = bracketed ? !text.ends_with(']') : std::count(text.begin(), text.end(), ':') == 1;
  if (has_port) return net::parse_host_port(text);
  auto resolved = net::resolve_endpoint(text, kDnsPort);
  if (!resolved.endpoint) {
    resolved.error = fmt::format("cannot resolve {}: {}", text, resolved.error);
  }
  return resolved;
}

// Each --forward DOMAIN=ADDR[:PORT], in order; a domain given again gains a parent (failover
// between them as between the default parents). Logs and returns false on a bad one.
bool parse_forwards(const ServerCommandLine& line, server::ServerSettings& settings) {
  auto where = origin(line, "forward");
  for (const auto& text : line.forwards) {
    auto equals = text.find('=');
    if (equals == std::string::npos) {
      spdlog::error("{}--forward {}: expected DOMAIN=ADDRESS[:PORT], e.g. corp.example=10.0.0.1:53",
                    where, text);
      return false;
    }
    std::string_view domain_text = std::string_view(text).substr(0, equals);
    std::string_view address_text = std::string_view(text).substr(equals + 1);
    auto parsed = dns::DnsName::parse(domain_text);
    auto domain = parsed.name();
    if (!domain) {
      spdlog::error("{}--forward {}: domain '{}': {} (at character {})", where, text, domain_text,
                    dns::describe(parsed.error), parsed.position + 1);
      return false;
    }
    if (domain->is_root()) {
      spdlog::error("{}--forward {}: the root holds every name; use --parent for that", where,
                    text);
      return false;
    }
    auto parent = parse_forward_address(address_text);
    if (!parent.endpoint) {
      spdlog::error("{}--forward {}: {}; expected ADDRESS, ADDRESS:PORT, [IPV6]:PORT or HOST:PORT",
                    where, text, address_text.empty() ? std::string("no address") : parent.error);
      return false;
    }
    auto zone =
        std::find_if(settings.forwards.begin(), settings.forwards.end(),
                     [&](const server::ForwardZone& known) { return known.domain == *domain; });
    if (zone == settings.forwards.end()) {
      settings.forwards.push_back({*domain, {}});
      zone = std::prev(settings.forwards.end());
    }
    zone->parents.push_back(*parent.endpoint);
  }
  return true;
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

// The positional arguments, in order. Required, but checked by require_arguments() rather than
// by CLI11: --config may give them, and the file is read only after CLI11's own check.
constexpr const char* kArguments[] = {"PORT", "PARENT_IP", "PARENT_PORT", "RECORDS"};

// PORT PARENT_IP PARENT_PORT RECORDS.
void add_arguments(CLI::App& command, ServerCommandLine& line) {
  auto& config = line.config;
  auto& settings = config.server;
  command
      .add_option_function<int>(
          "PORT",
          [&settings](const int& port) { settings.listen.port(static_cast<std::uint16_t>(port)); },
          "UDP port to listen on (0: any free port); required, on the command line or as "
          "`port` in --config")
      ->check(CLI::Range(0, 65535));
  command.add_option("PARENT_IP", line.parent_ip,
                     "Parent server's IP address, -1 for none; required without --config");
  command.add_option("PARENT_PORT", line.parent_port,
                     "Parent server's port, -1 for none; required without --config");
  command.add_option("RECORDS", config.records,
                     "Record file (name,address,ttl lines); required, on the command line or as "
                     "`records` in --config");
}

// Without --config, all four arguments are required, as they always were. With it, PORT and
// RECORDS come from the command line or the file; a parent may be left out (none: a root, or
// the `parent` list), but PARENT_IP and PARENT_PORT go together.
void require_arguments(CLI::App& command, const ServerCommandLine& line) {
  auto given = [&command](const char* name) { return command.get_option(name)->count() > 0; };
  for (const char* name : kArguments) {
    if (given(name)) continue;
    if (line.config_file.empty()) throw CLI::RequiredError(name);
    std::string key = config_key(*command.get_option(name));
    bool pair = key.starts_with("parent-");
    if (pair && !given("PARENT_IP") && !given("PARENT_PORT")) continue;
    throw CLI::ConfigError(
        pair ? fmt::format("{}: parent-ip and parent-port go together; give both, or neither "
                           "for no parent (or a parent list: parent = [\"ADDRESS:PORT\"])",
                           line.config_file)
             : fmt::format("{}: no {}: give {} = ... in the file, or {} on the command line",
                           line.config_file, key, key, name));
  }
}

// --config FILE, read once the command line is parsed; see config_file.hpp.
void add_config_option(CLI::App& command, ServerCommandLine& line) {
  command
      .add_option("--config", line.config_file,
                  "Read options from this TOML file: each option is a key without its '--' "
                  "(cache-size = 50000, hosts = [\"/etc/hosts\"], no-tcp = true), as are port, "
                  "parent-ip, parent-port and records; the command line overrides the file")
      ->configurable(false);
  // Runs once `command`'s own arguments are parsed and their callbacks run: the file fills
  // only what they left out, and then the arguments are complete or reported missing.
  command.parse_complete_callback([&command, &line] {
    if (!line.config_file.empty()) {
      line.origins = apply_config_file(command, read_config_file(line.config_file));
    }
    require_arguments(command, line);
  });
}

// Where to listen and how to reach the parents.
void add_network_options(CLI::App& command, ServerCommandLine& line) {
  auto& settings = line.config.server;
  command.add_option("--listen", line.listen,
                     "Address to listen on (default: :: for IPv6 and IPv4, else 0.0.0.0)");
  command.add_option("--threads", settings.threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  command
      .add_option_function<std::string>(
          "--udp-wait",
          [&settings](const std::string& name) {
            settings.udp_wait =
                name == "blocking" ? server::UdpWait::Blocking : server::UdpWait::Epoll;
          },
          "How a worker waits for UDP queries: blocking (a reader thread per worker asleep in "
          "recvmmsg; fewest system calls per wakeup) or epoll (in the worker's event loop; "
          "one thread per worker)")
      ->check(CLI::IsMember({"blocking", "epoll"}))
      ->default_str("blocking");
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
  command
      .add_option("--forward", line.forwards,
                  "Split DNS: names at or below DOMAIN go to this parent instead, "
                  "DOMAIN=ADDRESS[:PORT] (port 53 by default; repeatable: the longest domain "
                  "wins, a domain given again gets another parent with failover)")
      ->allow_extra_args(false)  // one value per occurrence: positionals after it stay so
      ->take_all();
}

// The files answered from besides RECORDS, and what is derived from them.
void add_local_data_options(CLI::App& command, server::ServerConfig& config) {
  command
      .add_option("--hosts", config.hosts,
                  "Also answer from this /etc/hosts-format file (repeatable); reloaded with "
                  "RECORDS")
      ->allow_extra_args(false)
      ->take_all();
  command.add_option("--hosts-ttl", config.hosts_ttl, "TTL of the records of --hosts files")
      ->check(CLI::Range(std::uint32_t{0}, records::kMaxTtl))
      ->capture_default_str();
  command.add_flag_callback(
      "--no-auto-ptr", [&config] { config.server.handler.auto_ptr = false; },
      "Do not answer reverse (PTR) questions from the local A/AAAA records");
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
void add_serving_options(CLI::App& command, ServerCommandLine& line) {
  auto& config = line.config;
  auto& settings = config.server;
  command.add_flag("--watch", config.watch,
                   "Reload RECORDS and the --hosts files when one changes (SIGHUP always "
                   "reloads them)");
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
      .add_option("--proxy-from", line.proxy_from,
                  "Load balancers (dnsdist) whose PROXY v2 headers name the client, "
                  "ADDRESS/PREFIX (repeatable); everything they send must carry one")
      ->allow_extra_args(false)
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
  // A bare --log-queries means text, as it always did.
  command
      .add_option_function<std::string>(
          "--log-queries",
          [&settings](const std::string& format) {
            settings.log_queries =
                format == "json" ? server::QueryLogFormat::Json : server::QueryLogFormat::Text;
          },
          "Log every query and its outcome: text, or json for one JSON object per line")
      ->expected(0, 1)
      ->default_str("text")
      ->check(CLI::IsMember({"text", "json"}));
  command.add_option("--http", line.http,
                     "Serve /metrics (Prometheus), /health and /ready over HTTP on ADDRESS:PORT "
                     "(e.g. 127.0.0.1:9153); off unless given");
  command.add_option("--shared-cache", line.shared_cache,
                     "Share a second-level cache with other servers in Redis, "
                     "redis://HOST[:PORT] (port 6379 by default); off unless given");
  command
      .add_option("--shared-cache-timeout", line.shared_cache_timeout_ms,
                  "Milliseconds a lookup in the shared cache may take before the parents are "
                  "asked instead")
      ->check(CLI::Range(1u, 10'000u))
      ->capture_default_str();
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

void add_tcp_options(CLI::App& command, server::TcpSettings& tcp) {
  command.add_flag_callback(
      "--no-tcp", [&tcp] { tcp.enabled = false; },
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

// The --parent-protocol value that gives `upstream`.
std::string protocol_name(const server::UpstreamSettings& upstream) {
  if (upstream.protocol == server::ParentProtocol::Text) return "text";
  return upstream.transport == server::ParentTransport::Tcp ? "tcp" : "dns";
}

// The config with the text options parsed in and checked; logs the first problem.
std::optional<server::ServerConfig> settle(const ServerCommandLine& line) {
  server::ServerConfig config = line.config;
  if (!parse_listen_and_allow(line, config.server) || !parse_parents(line, config.server) ||
      !parse_forwards(line, config.server)) {
    return std::nullopt;
  }
  if (!line.http.empty()) {
    // Port 0 (any free port, named in the log) is for tests and trials.
    auto parsed = net::parse_host_port(line.http, net::PortZero::AnyFree);
    if (!parsed.endpoint) {
      spdlog::error("{}--http {}: {}", origin(line, "http"), line.http, parsed.error);
      return std::nullopt;
    }
    config.http = asio::ip::tcp::endpoint(parsed.endpoint->address(), parsed.endpoint->port());
  }
  if (!line.shared_cache.empty()) {
    auto redis = parse_redis_url(line.shared_cache);
    if (!redis.endpoint) {
      spdlog::error("{}--shared-cache {}: {}", origin(line, "shared-cache"), line.shared_cache,
                    redis.error);
      return std::nullopt;
    }
    server::RedisSettings settings;
    settings.endpoint = asio::ip::tcp::endpoint(redis.endpoint->address(), redis.endpoint->port());
    settings.timeout = std::chrono::milliseconds(line.shared_cache_timeout_ms);
    config.server.shared_cache = settings;
  }
  const auto& cache = config.server.cache;
  if (cache.min_ttl > cache.max_ttl) {
    spdlog::error("{}--min-ttl {} is above --max-ttl {}",
                  origin(line, line.origins.contains("min-ttl") ? "min-ttl" : "max-ttl"),
                  cache.min_ttl, cache.max_ttl);
    return std::nullopt;
  }
  return config;
}

void add_server_options(CLI::App& command, ServerCommandLine& line) {
  add_arguments(command, line);
  add_config_option(command, line);
  add_network_options(command, line);
  add_local_data_options(command, line.config);
  add_cache_options(command, line.config);
  add_serving_options(command, line);
  add_tcp_options(command, line.config.server.tcp);
}

}  // namespace resolver::cli

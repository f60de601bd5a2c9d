#include "resolver/net/endpoint.hpp"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <charconv>

namespace resolver::net {

namespace asio = boost::asio;
using asio::ip::udp;

std::string endpoint_text(const udp::endpoint& endpoint) {
  const auto& address = endpoint.address();
  if (address.is_v6()) {
    auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      auto v4 = asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
      return fmt::format("{}:{}", v4.to_string(), endpoint.port());
    }
    return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

EndpointParse resolve_endpoint(std::string_view host, std::uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // getaddrinfo(3) takes no host as the local machine: an empty one must not become loopback.
  if (host.empty()) return {std::nullopt, "no host"};
  std::string name(host);
  boost::system::error_code error;
  auto address = asio::ip::make_address(name, error);
  if (!error) return {udp::endpoint(address, port), {}};
  asio::io_context io;
  udp::resolver resolver(io);
  auto results =
      resolver.resolve(name, std::to_string(port), udp::resolver::numeric_service, error);
  if (error) return {std::nullopt, error.message()};
  if (results.empty()) return {std::nullopt, "no address"};
  return {results.begin()->endpoint(), {}};
}

EndpointParse parse_host_port(std::string_view text, PortZero zero) {
  // The last colon: an IPv6 address has colons of its own.
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || text.ends_with(']')) return {std::nullopt, "no port"};
  auto port = text.substr(colon + 1);
  int number = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  int lowest = zero == PortZero::AnyFree ? 0 : 1;
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number < lowest ||
      number > 65535) {
    return {std::nullopt, fmt::format("port '{}' is not a number from {} to 65535", port, lowest)};
  }
  auto host = text.substr(0, colon);
  // "2001:db8::1:53" could be either address with or without a port: brackets say which.
  if (host.find(':') != std::string_view::npos && !host.starts_with('[')) {
    return {std::nullopt, "an IPv6 address goes in brackets: [ADDRESS]:PORT"};
  }
  if (host.empty()) return {std::nullopt, "no host before the port"};
  auto resolved = resolve_endpoint(host, static_cast<std::uint16_t>(number));
  if (!resolved.endpoint)
    resolved.error = fmt::format("cannot resolve {}: {}", host, resolved.error);
  return resolved;
}

}  // namespace resolver::net

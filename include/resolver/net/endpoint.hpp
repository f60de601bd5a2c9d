// Socket addresses as people write them, both ways.
//
// endpoint_text formats: "192.0.2.1:53" or "[2001:db8::1]:53" (RFC 3986 3.2.2 brackets, so the
// port cannot be read as part of the address); an IPv4-mapped IPv6 address (an IPv4 client of
// a dual-stack socket) is written as the IPv4 address it is, as a PROXY header's client or an
// IPv4-only socket's would be. The one formatter of addresses for the server, the client and
// the CLI. resolve_endpoint and parse_host_port read them back, for the
// client's SERVER PORT and the server's --parent, so both accept the same forms: an IPv4 or
// IPv6 address (IPv6 optionally in brackets), or a host name resolved once, at the call.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resolver::net {

std::string endpoint_text(const boost::asio::ip::udp::endpoint& endpoint);

// An endpoint, or why there is none.
struct EndpointParse {
  std::optional<boost::asio::ip::udp::endpoint> endpoint;
  std::string error;  // for the user, when there is no endpoint
};

// `host` as an address literal, else the first address getaddrinfo(3) gives for the name
// (blocking: for start-up, not the serving path). The error is the resolver's reason alone.
EndpointParse resolve_endpoint(std::string_view host, std::uint16_t port);

// Whether port 0 is a port: for an address to listen on it asks for any free port; for a peer
// it means nothing.
enum class PortZero { Refused, AnyFree };

// "192.0.2.1:53", "[2001:db8::1]:53" or "host.example:53", the port from 1 to 65535 (from 0
// with PortZero::AnyFree).
EndpointParse parse_host_port(std::string_view text, PortZero zero = PortZero::Refused);

}  // namespace resolver::net

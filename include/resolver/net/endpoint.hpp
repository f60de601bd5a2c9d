// endpoint_text: a socket address as people and logs write it, "192.0.2.1:53" or
// "[2001:db8::1]:53" (RFC 3986 3.2.2 brackets, so the port cannot be read as part of the
// address). The one formatter of addresses for the server, the client and the CLI.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <string>

namespace resolver::net {

std::string endpoint_text(const boost::asio::ip::udp::endpoint& endpoint);

}  // namespace resolver::net

#include "resolver/net/endpoint.hpp"

#include <fmt/format.h>

namespace resolver::net {

std::string endpoint_text(const boost::asio::ip::udp::endpoint& endpoint) {
  const auto& address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

}  // namespace resolver::net

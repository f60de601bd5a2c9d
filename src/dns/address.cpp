#include "resolver/dns/address.hpp"

#include <arpa/inet.h>

#include <string>

namespace resolver::dns {

std::optional<AddressRdata> parse_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string terminated(text);  // inet_pton wants a C string
  std::uint8_t bytes[16];
  if (inet_pton(AF_INET, terminated.c_str(), bytes) == 1) {
    return AddressRdata{RrType::A, {bytes, bytes + 4}};
  }
  if (inet_pton(AF_INET6, terminated.c_str(), bytes) == 1) {
    return AddressRdata{RrType::AAAA, {bytes, bytes + 16}};
  }
  return std::nullopt;
}

}  // namespace resolver::dns

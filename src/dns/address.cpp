#include "resolver/dns/address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace resolver::dns {

std::optional<RrType> parse_address_into(std::string_view text, std::span<std::uint8_t, 16> out) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass for 1.2.3.4.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char terminated[INET6_ADDRSTRLEN];  // inet_pton wants a C string
  std::memcpy(terminated, text.data(), text.size());
  terminated[text.size()] = '\0';
  if (inet_pton(AF_INET, terminated, out.data()) == 1) return RrType::A;
  if (inet_pton(AF_INET6, terminated, out.data()) == 1) return RrType::AAAA;
  return std::nullopt;
}

std::optional<AddressRdata> parse_address(std::string_view text) {
  std::uint8_t bytes[16];
  auto type = parse_address_into(text, bytes);
  if (!type) return std::nullopt;
  std::size_t size = *type == RrType::A ? 4 : 16;
  return AddressRdata{*type, {bytes, bytes + size}};
}

}  // namespace resolver::dns

#include "resolver/dns/address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace resolver::dns {
namespace {

// A dotted quad to inet_pton(AF_INET)'s rules: four decimal parts of 0 to 255, no leading
// zeros, nothing else. Read here rather than by inet_pton because inet_pton wants a
// NUL-terminated copy, and the copy and inet_pton were 8% of loading a 1,000,000-line record
// file, nearly all of whose addresses are IPv4 (address_test checks it against inet_pton).
bool parse_dotted_quad(std::string_view text, std::span<std::uint8_t, 16> out) {
  std::size_t part = 0;
  unsigned value = 0;
  std::size_t digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (digits == 1 && value == 0) return false;  // a leading zero
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return false;
      ++digits;
    } else if (c == '.' && digits > 0 && part < 3) {
      out[part++] = static_cast<std::uint8_t>(value);
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (part != 3 || digits == 0) return false;
  out[3] = static_cast<std::uint8_t>(value);
  return true;
}

}  // namespace

std::optional<RrType> parse_address_into(std::string_view text, std::span<std::uint8_t, 16> out) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // Only IPv6 has a colon; without one, the text is a dotted quad or no address.
  if (text.find(':') == std::string_view::npos) {
    if (parse_dotted_quad(text, out)) return RrType::A;
    return std::nullopt;
  }
  // inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass for 1.2.3.4.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char terminated[INET6_ADDRSTRLEN];  // inet_pton wants a C string
  std::memcpy(terminated, text.data(), text.size());
  terminated[text.size()] = '\0';
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

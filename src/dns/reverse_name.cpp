#include "resolver/dns/reverse_name.hpp"

#include <algorithm>
#include <cstring>

namespace resolver::dns {

namespace {

constexpr std::uint8_t kInAddrArpa[] = {7,   'i', 'n', '-', 'a', 'd', 'd',
                                        'r', 4,   'a', 'r', 'p', 'a', 0};
constexpr std::uint8_t kIp6Arpa[] = {3, 'i', 'p', '6', 4, 'a', 'r', 'p', 'a', 0};

std::uint8_t lower(std::uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
}

// `wire` ends with `suffix` (compared without letter case), leaving `prefix` bytes before it.
bool ends_with(std::span<const std::uint8_t> wire, std::span<const std::uint8_t> suffix,
               std::size_t prefix) {
  if (wire.size() != prefix + suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(),
                    wire.begin() + static_cast<std::ptrdiff_t>(prefix),
                    [](std::uint8_t expected, std::uint8_t c) { return lower(c) == expected; });
}

std::optional<ReverseAddress> ipv4(std::span<const std::uint8_t> wire) {
  ReverseAddress address;
  address.size = 4;
  std::size_t at = 0;
  for (int label = 0; label < 4; ++label) {
    if (at >= wire.size()) return std::nullopt;
    std::size_t length = wire[at];
    if (length < 1 || length > 3 || at + 1 + length > wire.size()) return std::nullopt;
    if (length > 1 && wire[at + 1] == '0') return std::nullopt;  // "01" is not a canonical octet
    unsigned value = 0;
    for (std::size_t i = 0; i < length; ++i) {
      std::uint8_t c = wire[at + 1 + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return std::nullopt;
    address.bytes[3 - static_cast<std::size_t>(label)] = static_cast<std::uint8_t>(value);
    at += 1 + length;
  }
  if (!ends_with(wire, kInAddrArpa, at)) return std::nullopt;
  return address;
}

int nibble(std::uint8_t c) {
  c = lower(c);
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<ReverseAddress> ipv6(std::span<const std::uint8_t> wire) {
  constexpr std::size_t kNibbles = 32;
  if (!ends_with(wire, kIp6Arpa, 2 * kNibbles)) return std::nullopt;
  ReverseAddress address;
  address.size = 16;
  // The first label is the lowest nibble of the last byte.
  for (std::size_t i = 0; i < kNibbles; ++i) {
    if (wire[2 * i] != 1) return std::nullopt;
    int value = nibble(wire[2 * i + 1]);
    if (value < 0) return std::nullopt;
    std::size_t byte = 15 - i / 2;
    address.bytes[byte] |= static_cast<std::uint8_t>(i % 2 == 0 ? value : value << 4);
  }
  return address;
}

}  // namespace

std::optional<ReverseAddress> address_of_reverse_name(std::span<const std::uint8_t> wire) {
  if (wire.size() < sizeof kIp6Arpa) return std::nullopt;
  // The last label before the root tells which tree, with one comparison.
  if (lower(wire[wire.size() - 2]) != 'a') return std::nullopt;
  if (auto v4 = ipv4(wire)) return v4;
  return ipv6(wire);
}

}  // namespace resolver::dns

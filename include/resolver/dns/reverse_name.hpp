// Reverse names (RFC 1035 3.5, RFC 3596 2.5): the address a PTR question's name stands for.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace resolver::dns {

struct ReverseAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;  // 4 (IPv4) or 16 (IPv6)

  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};

// The address of a full reverse name, in network order: `d.c.b.a.in-addr.arpa` (each label a
// decimal 0..255 without leading zeros) or the 32 single-nibble labels of `...ip6.arpa`, any
// letter case. nullopt for anything else, partial names such as `2.0.192.in-addr.arpa`
// included: they name networks, not addresses.
std::optional<ReverseAddress> address_of_reverse_name(std::span<const std::uint8_t> wire);

}  // namespace resolver::dns

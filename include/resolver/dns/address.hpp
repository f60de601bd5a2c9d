// Address literals of the record file and the text protocol: dotted-quad IPv4 (A) and RFC 4291 IPv6
// (AAAA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "resolver/dns/types.hpp"

namespace resolver::dns {

struct AddressRdata {
  RrType type;
  std::vector<std::uint8_t> rdata;  // 4 or 16 bytes, network order
};

// nullopt unless `text` is exactly one IPv4 or IPv6 address (no port, no zone, no padding).
std::optional<AddressRdata> parse_address(std::string_view text);

// The same parse without allocating, for bulk loading: the rdata goes into `out` (its first 4
// bytes for A, all 16 for AAAA).
std::optional<RrType> parse_address_into(std::string_view text, std::span<std::uint8_t, 16> out);

}  // namespace resolver::dns

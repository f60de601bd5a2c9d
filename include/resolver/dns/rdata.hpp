// Record data (rdata) helpers: decompression on read, addresses and SOA fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/dns/message.hpp"

namespace resolver::dns {

// Reads `length` bytes of rdata of `type` starting at the reader's position. Names in the
// rdata of NS, CNAME, PTR, MX, SOA (and the obsolete MD, MF, MB, MG, MR, MINFO) are
// decompressed; the decompressed rdata must consume exactly `length` bytes.
std::vector<std::uint8_t> read_rdata(WireReader& reader, RrType type, std::uint16_t length);

// "192.0.2.1" or "2001:db8::1" for A and AAAA rdata; nullopt for other types or bad lengths.
std::optional<std::string> address_text(const ResourceRecord& record);

struct SoaFields {
  DnsName mname;
  DnsName rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
};

std::vector<std::uint8_t> encode_soa(const SoaFields& soa);
// Throws WireError when the rdata is not a well-formed SOA.
SoaFields decode_soa(const std::vector<std::uint8_t>& rdata);

// The negative-caching TTL a SOA record implies: min(SOA TTL, SOA MINIMUM) (RFC 2308 5).
std::uint32_t negative_ttl(const ResourceRecord& soa);

}  // namespace resolver::dns

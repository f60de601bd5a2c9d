// The course exercise's text protocol, kept as a first-class codec beside DNS.
//
// Query: a datagram holding a bare name, optionally followed by "\n" or "\r\n".
// Reply: one `name,address,ttl` line per address record (ttl = seconds left), lines joined by
// "\n"; failures are one line: `name,NXDOMAIN,ttl`, `name,NODATA,ttl`, `name,SERVFAIL,0`,
// `name,REFUSED,0`. A query that is not a valid name gets `,FORMERR,0` and is never echoed.
// A DNS message always holds a NUL byte in its header, a text query never does: that is how
// one port serves both.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "resolver/dns/answer.hpp"

namespace resolver::text {

inline constexpr std::string_view kFormErrReply = ",FORMERR,0";

bool is_text_datagram(std::span<const std::uint8_t> datagram);

// nullopt when the datagram is not exactly one valid host name (plus optional line end).
std::optional<dns::DnsName> parse_text_query(std::span<const std::uint8_t> datagram);

// A text query asks for every address of a name: the A and the AAAA answers are merged into
// one holding only their A and AAAA records (a CNAME chain's other records are left out).
// Addresses win over failures; a failure of either lookup wins over a negative answer; a
// negative answer is the A lookup's (NXDOMAIN at the end of a chain stays NXDOMAIN).
dns::Answer merge_address_answers(const dns::Answer& a, const dns::Answer& aaaa);

// The reply lines for `name`, from an answer that may mix A and AAAA records: one line per
// address, every one with `name` as owner (the name asked, also when the addresses are a CNAME
// target's); other records are left out. Without addresses, one NXDOMAIN or NODATA line whose
// TTL is the SOA's.
std::string format_text_reply(const dns::DnsName& name, const dns::Answer& answer);

// Reads a text-protocol parent's reply to a query for `name`. Lines about other names are
// ignored. nullopt when nothing in it answers `name`.
std::optional<dns::Answer> parse_text_reply(std::string_view reply, const dns::DnsName& name);

}  // namespace resolver::text

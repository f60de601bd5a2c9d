// Record and answer builders for the tests, and readers that turn answers back into text: one
// copy for every test file, instead of one pasted into each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/answer.hpp"
#include "resolver/dns/message.hpp"
#include "resolver/dns/types.hpp"

namespace test_support {

// `name` IN `type`.
resolver::dns::Question question(std::string_view name,
                                 resolver::dns::RrType type = resolver::dns::RrType::A);

// An A or AAAA record, by the kind of `address`; throws std::invalid_argument (failing the test)
// when `address` is not an IPv4 or IPv6 literal.
resolver::dns::ResourceRecord address_record(std::string_view name, std::string_view address,
                                             std::uint32_t ttl = 60);

// `name` CNAME `target`, the target written uncompressed.
resolver::dns::ResourceRecord cname_record(std::string_view name, std::string_view target,
                                           std::uint32_t ttl);

// The SOA of `zone` (ns.example.org, hostmaster.example.org, fixed timers) with its own TTL and
// MINIMUM, so a test can tell which of the two a negative TTL comes from.
resolver::dns::ResourceRecord soa_record(std::string_view zone, std::uint32_t ttl,
                                         std::uint32_t minimum);

// A negative answer (NXDOMAIN, or NODATA with NoError) carrying soa_record("example.org", ...).
resolver::dns::Answer negative_with_soa(resolver::dns::Rcode rcode, std::uint32_t soa_ttl,
                                        std::uint32_t minimum);

// The answer section as address texts ("?" for a record that is not an address), and its TTLs.
std::vector<std::string> addresses(const resolver::dns::Answer& answer);
std::vector<std::uint32_t> ttls(const resolver::dns::Answer& answer);

}  // namespace test_support

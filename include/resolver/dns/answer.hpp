// Answer: the outcome of resolving one question, independent of the protocol that asked.
//
// The DNS codec turns it into a response message, the text codec into lines. TTLs in it are
// the seconds left at the moment it was produced.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "resolver/dns/message.hpp"

namespace resolver::dns {

inline constexpr std::uint16_t kEdeStaleAnswer = 3;  // RFC 8914 4.4

struct Answer {
  Rcode rcode = Rcode::NoError;
  bool authoritative = false;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;  // the SOA of a negative answer (RFC 2308 3)
  // Extended DNS Error info code (RFC 8914), sent to EDNS clients; e.g. 3 = Stale Answer.
  std::optional<std::uint16_t> extended_error;

  // NOERROR or NXDOMAIN: the server's word on the name, to cache and pass on. Any other rcode
  // (SERVFAIL, REFUSED, FORMERR, ...) says it could not answer, and another server may.
  bool is_final() const { return rcode == Rcode::NoError || rcode == Rcode::NxDomain; }

  // A final answer saying there is nothing: NXDOMAIN, or NOERROR without records (NODATA).
  bool is_negative() const {
    return rcode == Rcode::NxDomain || (rcode == Rcode::NoError && answers.empty());
  }
};

// Smallest TTL among the answer records, or for a negative answer its SOA-derived TTL;
// nullopt when there is nothing to take a TTL from.
std::optional<std::uint32_t> answer_ttl(const Answer& answer);

// A SERVFAIL, REFUSED, ... answer without records.
Answer failure_answer(Rcode rcode);

}  // namespace resolver::dns

namespace resolver::dns {

// A negative answer (NXDOMAIN, or NOERROR without records) carrying a synthesized SOA for the
// root whose TTL and MINIMUM are `ttl`, so caches below us keep it for that long (RFC 2308 3).
Answer negative_answer(Rcode rcode, std::uint32_t ttl, bool authoritative);

}  // namespace resolver::dns

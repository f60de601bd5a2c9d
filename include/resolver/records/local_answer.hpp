// What local data answers to a question, before any cache or parent: exact names, CNAME chains
// inside the data, wildcards (RFC 4592) and automatic PTR. Pure: no cache, no clock, no I/O.
//
// At each name of the chain, in order: its own records; the automatic PTR of a reverse name
// whose address a local A/AAAA holds (an explicit record at the reverse name comes first); a
// wildcard through its closest encloser. A name holding a CNAME, asked any type but CNAME and
// ANY, adds the CNAME to the answer and goes on at its target, at most kMaxCnameChain times.
#pragma once

#include <cstddef>
#include <cstdint>

#include "resolver/dns/answer.hpp"
#include "resolver/records/local_records.hpp"

namespace resolver::records {

// CNAMEs followed in one answer; one more, or a loop, is SERVFAIL (as BIND and Unbound do with
// limits of their own).
inline constexpr std::size_t kMaxCnameChain = 8;

struct LocalAnswerSettings {
  bool auto_ptr = true;
  std::uint32_t negative_ttl = 60;  // of the SOA in a NODATA or NXDOMAIN
};

enum class LocalOutcome {
  NotLocal,      // the name asked is not local: the caller goes on (cache, parents, ...)
  Answered,      // `out` is the answer: authoritative, or SERVFAIL for a loop or a long chain
  FollowTarget,  // `out` holds the CNAME chain (authoritative, NOERROR) whose target is not local
};

// NODATA and NXDOMAIN carry dns::negative_answer's SOA and, after a CNAME, the chain before them
// (RFC 6604: the rcode is the last name's).
LocalOutcome answer_local(const LocalRecords& records, const dns::Question& question,
                          const LocalAnswerSettings& settings, dns::Answer& out);

}  // namespace resolver::records

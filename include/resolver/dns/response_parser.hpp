// parse_upstream_reply: validates a parent's reply to one of our queries and keeps only what
// answers the question.
//
// A reply is accepted only when QR is set, the ID is ours and the question is repeated (name,
// type, class; RFC 5452 9.1). From an accepted reply only the records that answer the question
// are kept: the CNAME chain starting at the question name and the records of the asked type at
// its end, plus, for a negative answer, a SOA whose owner is an ancestor of the name that does
// not exist (RFC 2308). Everything else (other names, the additional section) is discarded, so
// it can never reach the cache.
#pragma once

#include <cstdint>
#include <span>

#include "resolver/dns/answer.hpp"

namespace resolver::dns {

enum class ReplyStatus {
  Accepted,
  NotAReply,  // too short, or QR clear
  WrongId,
  WrongQuestion,  // question missing or different: possibly spoofed
  Truncated,      // TC set: what it holds is incomplete
  Malformed,
};

struct UpstreamReply {
  ReplyStatus status = ReplyStatus::Malformed;
  Answer answer;  // when Accepted; rcode as the parent sent it
  // The question name as the reply spelled it, letter case included, for the 0x20 check
  // (draft-vixie-dnsext-dns0x20): equal to ours ignoring case whenever Accepted.
  DnsName echoed_name;
};

inline constexpr int kMaxCnameChain = 8;

UpstreamReply parse_upstream_reply(std::span<const std::uint8_t> datagram,
                                   std::uint16_t expected_id, const Question& question);

}  // namespace resolver::dns

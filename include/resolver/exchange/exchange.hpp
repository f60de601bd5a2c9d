// The exchange codec: one question asked of a server and its reply recognised, in DNS or in the
// exercise's text protocol, without any I/O.
//
// The server's Upstream and the client's BatchResolver both build an outgoing `Query` with
// make_query, write it with encode_query, and hand every datagram that comes back to
// match_reply until it says Answered or Truncated. The rules for what counts as the reply live
// only here:
// - DNS: QR set, our ID and our question repeated (RFC 5452 9.1), and only the records that
//   answer the question kept (dns::parse_upstream_reply). TC set is Truncated, never an answer.
// - Text: the lines about the asked name; of those, only the asked type's addresses, so a
//   server asking a text parent for AAAA never caches its A records. Type ANY keeps every
//   address, which is what a text query means on its own. Text has no truncation.
// Anything else (another ID or question, garbage) is Unmatched: a forger's or a late datagram,
// so the caller keeps waiting instead of failing the attempt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "resolver/dns/answer.hpp"
#include "resolver/dns/message.hpp"

namespace resolver::exchange {

enum class Protocol { Dns, Text };

// Whether the name goes out in random letter case (draft-vixie-dnsext-dns0x20): a forger must
// then also guess one bit per letter. The server's upstream uses it; the client does not, as
// it talks to one server it chose and checks nothing about the case of the echo.
enum class LetterCase { AsGiven, Randomized };

// One query as it goes out, which is what a reply is matched against.
struct Query {
  Protocol protocol = Protocol::Dns;
  dns::Question question;  // as sent: with the randomised letter case when there is one
  std::uint16_t id = 0;    // DNS only
};

// The query for `question`. Randomisation applies to DNS only: the text protocol has no case
// check to back it, and its servers are not known to echo the case.
Query make_query(Protocol protocol, const dns::Question& question, std::uint16_t id,
                 LetterCase letter_case = LetterCase::AsGiven);

// Writes the query's datagram into `out` and returns its size; 0 when it does not fit (512
// bytes always do).
std::size_t encode_query(const Query& query, std::span<std::uint8_t> out);

enum class MatchStatus {
  Unmatched,  // not a reply to this query: keep waiting
  Truncated,  // the reply to this query, but incomplete (TC=1): ask again over TCP, or fail
  Answered,
};

struct Match {
  MatchStatus status = MatchStatus::Unmatched;
  dns::Answer answer;  // when Answered; its rcode as the server sent it
  // DNS, when Answered or Truncated: the question name as the reply spelled it, for the 0x20
  // check (equal to the query's ignoring case). Text: nullopt, its echo is not checked.
  std::optional<dns::DnsName> echoed_name;
};

Match match_reply(const Query& query, std::span<const std::uint8_t> datagram);

// The ID a DNS datagram carries, to find its query among many in flight; nullopt when too
// short to have one. Says nothing about whether it is a reply: match_reply decides that.
std::optional<std::uint16_t> datagram_id(std::span<const std::uint8_t> datagram);

}  // namespace resolver::exchange

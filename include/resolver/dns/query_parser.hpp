// parse_query: decides what to do with a datagram that claims to be a DNS query.
//
// Checks run in a fixed order (as hickory-dns and dnsdist do): too short to have a header ->
// drop; QR set (a response, possibly reflected) -> drop; opcode other than QUERY -> NOTIMP;
// QDCOUNT != 1 or an unreadable question -> FORMERR; zone-transfer or meta question types over
// UDP -> NOTIMP; class other than IN -> REFUSED; a malformed or duplicated OPT -> FORMERR;
// EDNS version above 0 -> BADVERS (RFC 6891 6.1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "resolver/dns/message.hpp"

namespace resolver::dns {

struct Query {
  Header header;
  Question question;  // valid when has_question
  bool has_question = false;
  std::optional<Edns> edns;
};

struct QueryParse {
  enum class Action { Drop, Answer, Reject } action = Action::Drop;
  Query query;                   // as much as could be read; header valid unless Drop
  Rcode rcode = Rcode::NoError;  // the error to send back when action == Reject
};

QueryParse parse_query(std::span<const std::uint8_t> datagram);

}  // namespace resolver::dns

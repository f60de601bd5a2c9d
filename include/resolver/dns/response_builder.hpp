// Writes DNS responses into a caller-supplied buffer.
//
// The reply echoes the query's ID, opcode, RD and CD bits and its question exactly as received
// (so the client's letter case survives), and carries an OPT record exactly when the query had
// one (RFC 6891 7). When the answer does not fit the client's UDP size, the reply is cut to the
// question and TC is set (RFC 1035 4.2.1, RFC 2181 9): no partial RRset ever goes out, and the
// client asks again over TCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "resolver/dns/answer.hpp"
#include "resolver/dns/query_parser.hpp"

namespace resolver::dns {

struct ResponseFlags {
  bool recursion_available = false;
  // Over TCP a reply may take 65,535 bytes whatever the client's UDP size (RFC 7766 8).
  bool over_tcp = false;
};

// The payload size the reply may use: over UDP 512 without EDNS, else the client's size
// clamped to [512, 1232]; over TCP 65,535.
std::size_t max_response_size(const Query& query, ResponseFlags flags = {});

// Returns the number of bytes written (0 only if `out` cannot hold even a header).
std::size_t build_response(const Query& query, const Answer& answer, ResponseFlags flags,
                           std::span<std::uint8_t> out);

// The reply to a query that parse_query rejected with `parse.rcode`.
std::size_t build_error_response(const QueryParse& parse, ResponseFlags flags,
                                 std::span<std::uint8_t> out);

// A query message for `question` (for the upstream and the client), with an OPT record
// advertising kEdnsUdpSize.
std::size_t build_query(const Question& question, std::uint16_t id, bool recursion_desired,
                        std::span<std::uint8_t> out);

}  // namespace resolver::dns

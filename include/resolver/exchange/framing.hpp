// Stream framing: a DNS message over TCP goes with its length in two bytes in front, most
// significant first (RFC 1035 4.2.2, RFC 7766 8), so one connection can carry several.
//
// Only the length prefix lives here, without any I/O: a transport reads the two bytes, then
// exactly that many more, and hands those to match_reply as it would a datagram. The text
// protocol has no stream form: it is UDP only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "resolver/exchange/exchange.hpp"

namespace resolver::exchange {

inline constexpr std::size_t kLengthPrefixSize = 2;
inline constexpr std::size_t kMaxStreamMessage = 0xFFFF;  // what two bytes can say

// Writes the prefix for a message of `size` bytes; false (nothing written) when it is too long
// to be framed.
bool write_length_prefix(std::size_t size, std::span<std::uint8_t, kLengthPrefixSize> out);

// The size of the message that follows `prefix`.
std::size_t read_length_prefix(std::span<const std::uint8_t, kLengthPrefixSize> prefix);

// Writes the prefix and the query's DNS message into `out` and returns the size of both; 0 when
// they do not fit, or for a text query, which cannot go over a stream.
std::size_t encode_framed_query(const Query& query, std::span<std::uint8_t> out);

}  // namespace resolver::exchange

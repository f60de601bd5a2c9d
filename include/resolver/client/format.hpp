// The client's output lines for one looked-up name: pure string building, no I/O.
//
// ip      the addresses, one per line; a name without one gets one line `NAME: WHY`, where
//         WHY is one word (NXDOMAIN, NODATA, SERVFAIL, REFUSED, FORMERR, TIMEOUT, ERROR).
//         An address never holds a space, so `awk 'NF == 1'` keeps just the addresses.
// record  `name,address,ttl` (the record file's format); failures as the text protocol
//         writes them: `name,NXDOMAIN,ttl`, `name,NODATA,ttl`, `name,SERVFAIL,0`,
//         `name,REFUSED,0`, `name,TIMEOUT,0`, and `,FORMERR,0` (an invalid name is never
//         echoed, as the server does).
// json    one object per line, always these keys in this order: name, type, rcode
//         (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR, or TIMEOUT / ERROR when no reply
//         came), addresses (array of strings), ttl (smallest TTL of the addresses, or how long
//         a negative answer holds, else 0), server, milliseconds; plus "error" (a sentence)
//         exactly when there is no address.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/client/batch.hpp"
#include "resolver/net/endpoint.hpp"

namespace resolver::client {

enum class OutputFormat { Ip, Record, Json };

std::optional<OutputFormat> parse_output_format(std::string_view text);

struct FormatContext {
  std::string type;    // "A", "AAAA"; "A+AAAA" for the text protocol (every address)
  std::string server;  // as endpoint_text() writes it
};

// "192.0.2.1:53", "[2001:db8::1]:53".
using net::endpoint_text;

// `failure_line`: whether a name without an address gets its `NAME: WHY` line (interactive
// mode leaves it out: the terminal already shows the stderr message).
void append_ip_lines(std::string& out, const BatchItem& item, bool failure_line = true);
void append_record_lines(std::string& out, const BatchItem& item);
void append_json_line(std::string& out, const BatchItem& item, const FormatContext& context);
void append_lines(std::string& out, OutputFormat format, const BatchItem& item,
                  const FormatContext& context);

// "resolver: NAME: why[: detail]\n" for stderr, or "" when the name was answered.
std::string failure_message(const BatchItem& item);

// `text` as the inside of a JSON string: quotes, backslashes and control characters escaped,
// bytes that are not UTF-8 replaced by U+FFFD, so the output is always valid JSON.
std::string json_escape(std::string_view text);

}  // namespace resolver::client

// QueryLog: one line per answered query (--log-queries), as text for people or as JSON lines
// for log pipelines (--log-queries=json). The Responder builds a QueryEvent only when the log is
// on; formatting is pure, so the formats are unit-tested byte for byte.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/dns/message.hpp"
#include "resolver/server/metrics.hpp"

namespace resolver::server {

enum class QueryLogFormat { Off, Text, Json };

// One answered (or refused) query.
struct QueryEvent {
  std::chrono::system_clock::time_point time;  // when the reply went out
  boost::asio::ip::udp::endpoint client;
  QueryProtocol protocol = QueryProtocol::Udp;
  std::string name;                 // as asked, in text form ("." for the root); may be empty
                                    // when the query could not be read (FORMERR)
  std::optional<dns::RrType> type;  // nullopt for a text query (both addresses) or unread
  dns::Rcode rcode = dns::Rcode::NoError;
  AnswerSource source = AnswerSource::None;
  std::size_t answers = 0;               // records in the answer section (addresses for text)
  std::chrono::microseconds latency{0};  // from the request's arrival to the reply
  std::string_view text_reply;           // a text query's reply line, for the text format
};

// "CLIENT dns NAME TYPE -> RCODE (N records) SOURCE LATENCY" and the like: what
// --log-queries always printed, so existing log readers keep working.
std::string format_query_text(const QueryEvent& event);
// One JSON object, no newline: {"time":"2026-12-04T18:47:09.123Z","client":"192.0.2.1:5353",
// "protocol":"udp","name":"www.example","type":"A","rcode":"NOERROR","source":"cache",
// "answers":1,"latency_us":12}
std::string format_query_json(const QueryEvent& event);

// Writes the event in `format` to the query log; Off writes nothing. Text goes to the human log
// (stderr, a line at a time); JSON to stdout, buffered until flush_query_log().
void log_query(QueryLogFormat format, const QueryEvent& event);
// Writes out the buffered JSON lines; safe from any thread.
void flush_query_log();

}  // namespace resolver::server

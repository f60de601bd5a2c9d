// Lookup: the outcome of asking one server about one name, in DNS or the text protocol, and
// `lookup()`, the one-name convenience over the batch engine (batch.hpp).
//
// Used by `resolver client` and by the tests. Every attempt carries a fresh random ID (DNS);
// replies that do not match a question in flight are ignored. `server` is a UDP endpoint by
// type only: with `tcp`, or for a truncated reply, the same address and port are used over TCP.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/answer.hpp"
#include "resolver/dns/types.hpp"

namespace resolver::client {

enum class LookupStatus { Answered, NxDomain, NoData, ServFail, Refused, FormErr, Timeout, Error };

// "no such name (NXDOMAIN)", ...: for messages to people.
std::string_view describe(LookupStatus status);
// "NXDOMAIN", "NODATA", "TIMEOUT", "ERROR", ...: one upper-case word for scripts.
std::string_view status_word(LookupStatus status);

struct LookupSettings {
  boost::asio::ip::udp::endpoint server;
  bool text_protocol = false;
  std::chrono::milliseconds timeout{2000};  // per attempt
  int attempts = 2;
  // DNS over TCP for every query (RFC 7766) instead of UDP. DNS only: the text protocol is
  // UDP only. Over UDP a truncated reply (TC=1) is asked again over TCP either way.
  bool tcp = false;
};

struct LookupRecord {
  dns::RrType type;
  std::string address;
  std::uint32_t ttl;
};

struct LookupResult {
  LookupStatus status = LookupStatus::Error;
  std::vector<LookupRecord> records;
  std::uint32_t ttl = 0;  // for a negative answer: how long it may be cached
  std::string detail;     // for Error and FormErr: what went wrong
  // From the first datagram sent to the answer; zero when nothing was sent.
  std::chrono::microseconds elapsed{0};
};

// The lookup outcome an answer (from a DNS reply or a text-protocol reply) amounts to.
LookupResult from_answer(const dns::Answer& answer);

// In text mode `type` is ignored: the server sends every address it has.
LookupResult lookup(boost::asio::io_context& io, const LookupSettings& settings,
                    const std::string& name, dns::RrType type);

}  // namespace resolver::client

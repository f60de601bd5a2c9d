// Lookup: one name asked of one server, in DNS or the text protocol, with timeout and retries.
//
// Used by `resolver client` and by the integration tests. Each attempt uses a fresh connected
// socket and (DNS) a fresh random ID; replies that do not match are ignored.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "resolver/dns/types.hpp"

namespace resolver::client {

enum class LookupStatus { Answered, NxDomain, NoData, ServFail, Refused, FormErr, Timeout, Error };

std::string_view describe(LookupStatus status);

struct LookupSettings {
  boost::asio::ip::udp::endpoint server;
  bool text_protocol = false;
  std::chrono::milliseconds timeout{2000};  // per attempt
  int attempts = 2;
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
  std::string detail;     // for Error: what went wrong
};

// In text mode `type` is ignored: the server sends every address it has.
LookupResult lookup(boost::asio::io_context& io, const LookupSettings& settings,
                    const std::string& name, dns::RrType type);

}  // namespace resolver::client

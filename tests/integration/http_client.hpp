// Plain HTTP/1.1 against the server's --http endpoint, for the integration tests that read
// /metrics, /health or /ready (Boost.Beast, one request per connection).
#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>

#include "harness.hpp"

namespace harness {

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

HttpReply http_request(std::uint16_t port, const std::string& target,
                       boost::beast::http::verb method = boost::beast::http::verb::get);

// The --http port of a server started with --http 127.0.0.1:0, from the log line naming it.
std::uint16_t http_port(Process& process);

// The value of the one sample `series` (name and labels exactly as exposed); -1 when absent.
double sample(const std::string& exposition, const std::string& series);

// `series` in a fresh scrape of /metrics on `port`.
double scrape(std::uint16_t port, const std::string& series);

}  // namespace harness

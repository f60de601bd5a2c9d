// Upstream: asks the parent one question, with a bounded number of attempts.
//
// Each attempt goes out on a fresh UDP socket, `connect()`ed to the parent so the kernel picks
// an ephemeral port and discards datagrams from anyone else; a DNS attempt carries a fresh
// random ID. A reply counts only if it is a reply to that ID and repeats the question
// (RFC 5452); anything else is dropped and the wait goes on. When an attempt times out or the
// parent's port is unreachable, the next attempt starts; after the last one the query fails.
// Nothing here blocks: completion is a callback on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <vector>

#include "resolver/dns/message.hpp"
#include "resolver/server/query_handler.hpp"

namespace resolver::server {

enum class ParentProtocol { Dns, Text };

struct UpstreamSettings {
  boost::asio::ip::udp::endpoint parent;
  ParentProtocol protocol = ParentProtocol::Dns;
  // One entry per attempt: the first try and one retry, about 2.5 s in all.
  std::vector<std::chrono::milliseconds> attempt_timeouts{std::chrono::milliseconds(1000),
                                                          std::chrono::milliseconds(1500)};
};

class Upstream {
 public:
  using Done = std::function<void(UpstreamOutcome)>;

  Upstream(boost::asio::io_context& io, UpstreamSettings settings);

  void query(const dns::Question& question, Done done);
  const UpstreamSettings& settings() const { return settings_; }

 private:
  boost::asio::io_context& io_;
  UpstreamSettings settings_;
};

}  // namespace resolver::server

// What one worker's Responder stands on, for unit tests: local records, a cache, the query
// handler, and a Forwarder to a ScriptedParent on an io_context the test runs. Tests derive
// their worker from it and add the Responder, reader or transport they are about.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "resolver/cache/cache.hpp"
#include "resolver/records/local_records.hpp"
#include "resolver/server/clock.hpp"
#include "resolver/server/forwarder.hpp"
#include "resolver/server/in_flight.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/parent_set.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/responder.hpp"
#include "support/scripted_parent.hpp"

namespace test_support {

struct WorkerParts {
  WorkerParts(const std::vector<resolver::dns::ResourceRecord>& records, bool has_parent,
              resolver::server::ForwarderLimits limits = {})
      : handler(std::make_shared<const resolver::records::LocalRecords>(records), cache,
                resolver::server::HandlerSettings{.has_parent = has_parent}),
        parents({boost::asio::ip::udp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 5300}}),
        forwarder(loop, handler, parent, in_flight, clock, limits, std::chrono::milliseconds(0)),
        has_parent_(has_parent) {}

  // A Responder's routes: the default one to `parent`, or none on a root.
  std::vector<resolver::server::ResponderRoute> routes() {
    if (!has_parent_) return {};
    return {{&forwarder, &parents}};
  }

  resolver::server::ManualClock clock;
  resolver::cache::Cache cache;
  resolver::server::QueryHandler handler;
  resolver::server::ParentSet parents;
  ScriptedParent parent;
  resolver::server::InFlight in_flight;
  boost::asio::io_context loop;  // the worker's event loop: the forwarder's
  resolver::server::Forwarder forwarder;
  resolver::server::WorkerMetrics metrics;

 private:
  bool has_parent_;
};

}  // namespace test_support

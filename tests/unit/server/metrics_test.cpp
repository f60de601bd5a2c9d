// The counters' plumbing: labels, slots, latency buckets, summing workers, readiness.
#include "resolver/server/metrics.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;
using resolver::dns::Rcode;
using resolver::dns::RrType;
using namespace resolver::server;

TEST_CASE("query types, rcodes and sources have their labels; the rest is 'other'", "[metrics]") {
  CHECK(type_label(type_slot(RrType::A)) == "A");
  CHECK(type_label(type_slot(RrType::TXT)) == "TXT");
  CHECK(type_label(type_slot(RrType::HTTPS)) == "HTTPS");
  CHECK(type_label(type_slot(RrType{99})) == "other");
  CHECK(type_label(kTextTypeSlot) == "A+AAAA");
  CHECK(rcode_label(rcode_slot(Rcode::NxDomain)) == "NXDOMAIN");
  CHECK(rcode_label(rcode_slot(Rcode::Refused)) == "REFUSED");
  CHECK(rcode_label(rcode_slot(Rcode::BadVers)) == "other");
  CHECK(source_label(AnswerSource::Stale) == "stale");
  CHECK(protocol_label(QueryProtocol::Text) == "text");
}

TEST_CASE("a round trip lands in the first bucket whose bound holds it", "[metrics]") {
  ParentCounters counters;
  counters.record_latency(500us);   // <= 0.001
  counters.record_latency(1000us);  // == 0.001: bounds are inclusive (le)
  counters.record_latency(30ms);    // <= 0.05
  counters.record_latency(3s);      // above every bound
  CHECK(counters.latency[0].value() == 2);
  CHECK(counters.latency[5].value() == 1);
  CHECK(counters.latency[kLatencyBounds.size()].value() == 1);
  CHECK(counters.latency_sum_us.value() == 500 + 1000 + 30'000 + 3'000'000);
}

TEST_CASE("a snapshot sums the workers, parent by parent", "[metrics]") {
  WorkerMetrics first;
  WorkerMetrics second;
  for (auto* worker : {&first, &second}) {
    worker->parents.emplace_back(1);
    worker->parents.emplace_back(2);
    worker->queries[0][type_slot(RrType::A)].add(2);
    worker->answers[static_cast<std::size_t>(AnswerSource::Cache)].add();
    worker->parents[1][1].timeouts.add();
  }
  second.rate_limited.add(5);
  first.backlog_dropped.add(2);
  second.backlog_dropped.add(3);
  second.parents[0][0].queries.add(7);
  first.proxy.untrusted.add(3);
  second.proxy.missing.add();
  first.shared_cache.up.set(1);
  second.shared_cache.up.set(1);
  second.shared_cache.hits.add(4);
  MetricsSnapshot snapshot;
  snapshot.parents.resize(3);
  add_worker(first, snapshot);
  add_worker(second, snapshot);
  CHECK(snapshot.queries[0][type_slot(RrType::A)] == 4);
  CHECK(snapshot.answers[static_cast<std::size_t>(AnswerSource::Cache)] == 2);
  CHECK(snapshot.rate_limited == 5);
  CHECK(snapshot.backlog_dropped == 5);
  CHECK(snapshot.parents[0].queries == 7);
  CHECK(snapshot.parents[2].timeouts == 2);
  CHECK(snapshot.parents[1].timeouts == 0);
  CHECK(snapshot.proxy == std::array<std::uint64_t, 4>{0, 3, 0, 1});
  CHECK(snapshot.shared_cache.up == 2);
  CHECK(snapshot.shared_cache.hits == 4);
}

TEST_CASE("ready: a root, or a default parent healthy; forward domains do not count", "[metrics]") {
  MetricsSnapshot root;
  CHECK(root.ready());
  MetricsSnapshot::Parent forward;
  forward.domain = "corp.example";
  forward.healthy = false;
  root.parents.push_back(forward);
  CHECK(root.ready());

  MetricsSnapshot child;
  MetricsSnapshot::Parent parent;
  parent.domain = ".";
  parent.healthy = false;
  child.parents = {parent, parent};
  CHECK_FALSE(child.ready());
  child.parents[1].healthy = true;
  CHECK(child.ready());
}

// The Prometheus text format of a snapshot, read line by line.
#include "resolver/server/metrics_exposition.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/strings.hpp"

using namespace resolver::server;
using resolver::dns::Rcode;
using resolver::dns::RrType;
using test_support::contains;
using test_support::lines_of;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& each : lines_of(text)) {
    if (each == line) return true;
  }
  return false;
}

MetricsSnapshot snapshot() {
  MetricsSnapshot snapshot;
  snapshot.queries[static_cast<std::size_t>(QueryProtocol::Udp)][type_slot(RrType::AAAA)] = 7;
  snapshot.queries[static_cast<std::size_t>(QueryProtocol::Text)][kTextTypeSlot] = 2;
  snapshot.responses[static_cast<std::size_t>(QueryProtocol::Tcp)][rcode_slot(Rcode::NxDomain)] = 3;
  snapshot.answers[static_cast<std::size_t>(AnswerSource::Stale)] = 4;
  snapshot.rate_limited = 5;
  snapshot.backlog_dropped = 88;
  snapshot.malformed[static_cast<std::size_t>(QueryProtocol::Tcp)] = 4;
  snapshot.proxy = {11, 12, 13, 14};
  snapshot.shared_cache.hits = 21;
  snapshot.shared_cache.timeouts = 22;
  snapshot.shared_cache.stores = 23;
  snapshot.shared_cache.up = 2;
  snapshot.cache_entries = 10;
  snapshot.cache_bytes = 2048;
  snapshot.reloads_ok = 1;
  snapshot.reloads_failed = 2;
  MetricsSnapshot::Parent parent;
  parent.domain = ".";
  parent.address = "192.0.2.53:53";
  parent.queries = 9;
  parent.timeouts = 1;
  parent.latency[0] = 3;                      // <= 1 ms
  parent.latency[4] = 2;                      // <= 25 ms
  parent.latency[kLatencyBounds.size()] = 1;  // above 2.5 s
  parent.latency_sum_us = 3'500'000;
  parent.smoothed_rtt_us = 1500;
  snapshot.parents.push_back(parent);
  return snapshot;
}

}  // namespace

TEST_CASE("every family has HELP and TYPE, and every series of the snapshot its value",
          "[metrics]") {
  auto text = render_prometheus(snapshot());
  CHECK(has_line(text, "# TYPE resolver_queries_total counter"));
  CHECK(has_line(text, R"(resolver_queries_total{protocol="udp",type="AAAA"} 7)"));
  CHECK(has_line(text, R"(resolver_queries_total{protocol="udp",type="MX"} 0)"));  // zeros too
  CHECK(has_line(text, R"(resolver_queries_total{protocol="text",type="A+AAAA"} 2)"));
  CHECK_FALSE(contains(text, R"(protocol="text",type="AAAA")"));  // text is always both
  CHECK(has_line(text, R"(resolver_responses_total{protocol="tcp",rcode="NXDOMAIN"} 3)"));
  CHECK(has_line(text, R"(resolver_answers_total{source="stale"} 4)"));
  CHECK(has_line(text, "resolver_rate_limited_total 5"));
  CHECK(has_line(text, "resolver_backlog_dropped_total 88"));
  CHECK(has_line(text, R"(resolver_malformed_total{protocol="tcp"} 4)"));
  CHECK(has_line(text, R"(resolver_malformed_total{protocol="udp"} 0)"));
  CHECK(has_line(text, R"(resolver_proxy_headers_total{outcome="accepted"} 11)"));
  CHECK(has_line(text, R"(resolver_proxy_headers_total{outcome="missing"} 14)"));
  CHECK(has_line(text, R"(resolver_shared_cache_lookups_total{outcome="hit"} 21)"));
  CHECK(has_line(text, R"(resolver_shared_cache_lookups_total{outcome="timeout"} 22)"));
  CHECK(has_line(text, "resolver_shared_cache_stores_total 23"));
  CHECK(has_line(text, "resolver_shared_cache_up 2"));
  CHECK(has_line(text, "resolver_cache_entries 10"));
  CHECK(has_line(text, "resolver_cache_bytes 2048"));
  CHECK(has_line(text, R"(resolver_reloads_total{outcome="taken"} 1)"));
  CHECK(has_line(text, R"(resolver_reloads_total{outcome="refused"} 2)"));
  CHECK(has_line(text, R"(resolver_parent_queries_total{domain=".",parent="192.0.2.53:53"} 9)"));
  CHECK(has_line(text, R"(resolver_parent_up{domain=".",parent="192.0.2.53:53"} 1)"));
  CHECK(has_line(text, R"(resolver_parent_rtt_seconds{domain=".",parent="192.0.2.53:53"} 0.0015)"));
  CHECK(has_line(text, "resolver_ready 1"));
  CHECK(has_line(text, R"(resolver_build_info{version=")" RESOLVER_VERSION R"("} 1)"));
  // Each family is described once, before its samples.
  std::size_t help = 0;
  std::size_t type = 0;
  for (const auto& line : lines_of(text)) {
    help += line.starts_with("# HELP ") ? 1 : 0;
    type += line.starts_with("# TYPE ") ? 1 : 0;
    if (!line.starts_with("#")) CHECK(line.starts_with("resolver_"));
  }
  CHECK(help == type);
  CHECK(help == 30);
}

TEST_CASE("the latency histogram's buckets are cumulative and end at the count", "[metrics]") {
  auto text = render_prometheus(snapshot());
  const std::string labels = R"(domain=".",parent="192.0.2.53:53")";
  CHECK(has_line(text, "# TYPE resolver_parent_latency_seconds histogram"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_bucket{" + labels + R"(,le="0.001"} 3)"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_bucket{" + labels + R"(,le="0.01"} 3)"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_bucket{" + labels + R"(,le="0.025"} 5)"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_bucket{" + labels + R"(,le="2.5"} 5)"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_bucket{" + labels + R"(,le="+Inf"} 6)"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_count{" + labels + "} 6"));
  CHECK(has_line(text, "resolver_parent_latency_seconds_sum{" + labels + "} 3.5"));
}

TEST_CASE("label values are escaped; a parent down makes a child not ready", "[metrics]") {
  auto odd = snapshot();
  odd.parents[0].healthy = false;  // the only default parent
  auto forward = odd.parents[0];
  forward.domain = "we\"ird\\do\nmain";
  odd.parents.push_back(forward);
  auto text = render_prometheus(odd);
  CHECK(contains(text, R"(domain="we\"ird\\do\nmain")"));
  CHECK(has_line(text, "resolver_ready 0"));
  CHECK(
      contains(text, R"(resolver_parent_up{domain="we\"ird\\do\nmain",parent="192.0.2.53:53"} 0)"));
}

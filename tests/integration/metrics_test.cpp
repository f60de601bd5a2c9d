// --http: /metrics, /health and /ready of the real binary, checked by promtool and scraped by a
// real Prometheus server.
#include <catch2/catch.hpp>

#include <boost/beast/http.hpp>
#include <regex>
#include <string>

#include "harness.hpp"
#include "http_client.hpp"
#include "support/strings.hpp"

using namespace harness;
using resolver::dns::RrType;
using test_support::contains;
namespace http = boost::beast::http;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

}  // namespace

TEST_CASE("/health answers 200, other paths 404 and other methods 405", "[metrics]") {
  ResolverServer server(write_temp_file("http-paths.txt", kRecords), std::nullopt,
                        {"--http", "127.0.0.1:0"});
  auto port = http_port(server.process());
  auto health = http_request(port, "/health");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(http_request(port, "/nope").status == 404);
  CHECK(http_request(port, "/metrics", http::verb::post).status == 405);
  auto metrics = http_request(port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("a real scrape passes promtool check metrics", "[metrics]") {
  ResolverServer server(write_temp_file("http-promtool.txt", kRecords), std::nullopt,
                        {"--http", "127.0.0.1:0"});
  auto port = http_port(server.process());
  REQUIRE(text_query(server.port(), "local.example"));
  dig(server.port(), {"local.example", "A"});
  auto scrape = http_request(port, "/metrics").body;
  REQUIRE(have_program("promtool"));  // package prometheus, installed by ./dev.sh test
  auto checked = run({"promtool", "check", "metrics"}, scrape);
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("the counters follow the queries: local, parent, then cache", "[metrics]") {
  FakeParent parent([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("far.example", "198.51.100.9", 300)})};
  });
  ResolverServer child(write_temp_file("http-counters.txt", kRecords), parent.port(),
                       {"--http", "127.0.0.1:0"});
  auto port = http_port(child.process());
  CHECK(contains(dig(child.port(), {"local.example", "A"}).out, "192.0.2.1"));
  CHECK(contains(dig(child.port(), {"far.example", "A"}).out, "198.51.100.9"));
  CHECK(contains(dig(child.port(), {"far.example", "A"}).out, "198.51.100.9"));
  auto scrape = http_request(port, "/metrics").body;
  INFO(scrape);
  CHECK(sample(scrape, R"(resolver_answers_total{source="local"})") == 1);
  CHECK(sample(scrape, R"(resolver_answers_total{source="parent"})") == 1);
  CHECK(sample(scrape, R"(resolver_answers_total{source="cache"})") == 1);
  CHECK(sample(scrape, R"(resolver_queries_total{protocol="udp",type="A"})") == 3);
  CHECK(sample(scrape, R"(resolver_responses_total{protocol="udp",rcode="NOERROR"})") == 3);
  CHECK(sample(scrape, "resolver_upstream_questions_total") == 1);
  auto parent_labels =
      R"({domain=".",parent="127.0.0.1:)" + std::to_string(parent.port()) + R"("})";
  CHECK(sample(scrape, "resolver_parent_queries_total" + parent_labels) >= 1);
  CHECK(sample(scrape, "resolver_parent_up" + parent_labels) == 1);
  CHECK(sample(scrape, "resolver_parent_latency_seconds_count" + parent_labels) >= 1);
  CHECK(sample(scrape, "resolver_cache_entries") >= 1);
  CHECK(sample(scrape, "resolver_records") == 1);
}

TEST_CASE("/ready: a root is ready; a child whose only parent fails is not", "[metrics]") {
  ResolverServer root(write_temp_file("http-ready-root.txt", kRecords), std::nullopt,
                      {"--http", "127.0.0.1:0"});
  auto root_ready = http_request(http_port(root.process()), "/ready");
  CHECK(root_ready.status == 200);
  CHECK(root_ready.body == "ready\n");

  auto dead_port = free_udp_port();  // nobody listens: the attempt fails at once
  ResolverServer child(write_temp_file("http-ready-child.txt", kRecords), dead_port,
                       {"--http", "127.0.0.1:0"});
  auto port = http_port(child.process());
  dig(child.port(), {"far.example", "A"});
  CHECK(wait_until([&] { return http_request(port, "/ready").status == 503; }, 10s));
  CHECK(contains(http_request(port, "/ready").body, "not ready"));
  CHECK(sample(http_request(port, "/metrics").body, "resolver_ready") == 0);
}

TEST_CASE("a real Prometheus server scraping the endpoint sees the queries counted",
          "[metrics][prometheus]") {
  REQUIRE(have_program("prometheus"));  // package prometheus, installed by ./dev.sh test
  ResolverServer server(write_temp_file("http-prometheus.txt", kRecords), std::nullopt,
                        {"--http", "127.0.0.1:0"});
  auto target = http_port(server.process());
  auto config = write_temp_file("prometheus.yml",
                                "global:\n  scrape_interval: 1s\n"
                                "scrape_configs:\n  - job_name: resolver\n"
                                "    static_configs:\n      - targets: ['127.0.0.1:" +
                                    std::to_string(target) + "']\n");
  auto web_port = free_udp_port();
  Process prometheus({"prometheus", "--config.file=" + config,
                      "--storage.tsdb.path=" + temp_dir() + "/prometheus-data",
                      "--web.listen-address=127.0.0.1:" + std::to_string(web_port)});
  REQUIRE(prometheus.wait_for_log("Server is ready to receive web requests", 30s));

  // What Prometheus holds for the sum of the text and DNS queries, -1 until it has a sample.
  auto stored = [&] {
    auto reply = http_request(
        web_port, "/api/v1/query?query=sum(resolver_queries_total%7Bjob%3D%22resolver%22%7D)");
    std::smatch match;
    if (!std::regex_search(reply.body, match,
                           std::regex(R"re("value":\[[0-9.]+,"([0-9.]+)"\])re"))) {
      return -1.0;
    }
    return std::stod(match[1]);
  };
  REQUIRE(wait_until([&] { return stored() == 0; }, 30s, 200ms));
  for (int i = 0; i < 5; ++i) REQUIRE(text_query(server.port(), "local.example"));
  CHECK(wait_until([&] { return stored() == 5; }, 30s, 200ms));
  prometheus.stop();
}

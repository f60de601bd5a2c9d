// --http: /metrics, /health and /ready of the real binary, checked by promtool and scraped by a
// real Prometheus server.
#include <catch2/catch.hpp>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
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

// One keep-alive connection to --http, for the tests that look past one reply's status and body.
class Connection {
 public:
  explicit Connection(std::uint16_t port) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  void send(http::verb method, const std::string& target, std::size_t padding = 0) {
    http::request<http::empty_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (padding > 0) request.set("X-Padding", std::string(padding, 'x'));
    http::write(socket_, request);
  }
  // `head`: the reply to a HEAD, whose Content-Length announces a body that does not follow.
  http::response<http::string_body> receive(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  // Whether the server has closed its side: a read meets the end of the stream.
  bool closed() {
    boost::system::error_code error;
    std::array<char, 64> scratch{};
    while (!error) socket_.read_some(boost::asio::buffer(scratch), error);
    return error == boost::asio::error::eof;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

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

TEST_CASE("HEAD gets GET's headers without the body; a 405 says which methods are allowed",
          "[metrics]") {
  ResolverServer server(write_temp_file("http-head.txt", kRecords), std::nullopt,
                        {"--http", "127.0.0.1:0"});
  Connection connection(http_port(server.process()));
  connection.send(http::verb::head, "/metrics");
  auto head = connection.receive(true);
  CHECK(head.result_int() == 200);
  CHECK(head[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(std::stoul(std::string(head[http::field::content_length])) > 100);
  // No body followed the headers: the next reply on the connection is /health's, intact.
  connection.send(http::verb::get, "/health");
  auto health = connection.receive();
  CHECK(health.result_int() == 200);
  CHECK(health.body() == "ok\n");
  connection.send(http::verb::post, "/metrics");
  auto post = connection.receive();
  CHECK(post.result_int() == 405);
  CHECK(post[http::field::allow] == "GET, HEAD");
}

TEST_CASE("a request whose headers are too large gets a 400 and the connection closed",
          "[metrics]") {
  ResolverServer server(write_temp_file("http-large.txt", kRecords), std::nullopt,
                        {"--http", "127.0.0.1:0"});
  auto port = http_port(server.process());
  Connection connection(port);
  connection.send(http::verb::get, "/metrics", 16 * 1024);
  auto reply = connection.receive();
  CHECK(reply.result_int() == 400);
  CHECK_FALSE(reply.keep_alive());
  CHECK(connection.closed());
  CHECK(http_request(port, "/health").status == 200);  // and the endpoint goes on serving
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

TEST_CASE("the counters follow the queries: local, parent, then cache, however UDP is read",
          "[metrics]") {
  // blocking: the reader thread answers local data and the cache, the loop the parent's.
  std::string wait = GENERATE("blocking", "epoll");
  CAPTURE(wait);
  FakeParent parent([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("far.example", "198.51.100.9", 300)})};
  });
  ResolverServer child(write_temp_file("http-counters.txt", kRecords), parent.port(),
                       {"--http", "127.0.0.1:0", "--udp-wait", wait});
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
  CHECK(http_request(port, "/ready").body ==
        "not ready: no default parent is healthy (1 marked down, 0 in a loop)\n");
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

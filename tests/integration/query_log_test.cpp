// --log-queries=json: one JSON object per query on stdout, apart from the human log.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using resolver::dns::RrType;
using test_support::contains;

namespace {

// The server with its stdout joined to the stderr the harness reads, so both logs are seen.
struct LoggingServer {
  LoggingServer(const std::string& records, const std::string& log_option) {
    std::string command = "exec '" + binary() + "' server 0 -1 -1 '" + records +
                          "' --listen 127.0.0.1 --threads 1 " + log_option + " 1>&2";
    process = std::make_unique<Process>(std::vector<std::string>{"sh", "-c", command});
    REQUIRE(process->wait_for_log("records for"));
    std::smatch match;
    auto log = process->log();
    REQUIRE(std::regex_search(log, match, std::regex("listening on \\S+:([0-9]+)")));
    port = static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("the JSON query log (--log-queries=json) has one line per query, DNS and text",
          "[query-log]") {
  auto records = write_temp_file("json-log.txt", "a.example,192.0.2.1,60\n");
  LoggingServer server(records, "--log-queries=json");
  auto dig_result = dig(server.port, {"a.example", "A"});
  REQUIRE(contains(dig_result.out, "192.0.2.1"));
  REQUIRE(server.process->wait_for_log(R"("protocol":"udp","name":"a.example","type":"A")"));
  auto log = server.process->log();
  CHECK(std::regex_search(
      log, std::regex(
               R"(\n\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","client":"127\.0\.0\.1:\d+",)"
               R"("protocol":"udp","name":"a\.example","type":"A","rcode":"NOERROR",)"
               R"("source":"local","answers":1,"latency_us":\d+\}\n)")));

  REQUIRE(text_query(server.port, "nothere.example"));
  REQUIRE(server.process->wait_for_log(R"("protocol":"text","name":"nothere.example")"));
  CHECK(contains(server.process->log(),
                 R"("type":"A+AAAA","rcode":"NXDOMAIN","source":"local","answers":0)"));
  REQUIRE(contains(dig(server.port, {"+tcp", "a.example", "A"}).out, "192.0.2.1"));
  CHECK(server.process->wait_for_log(
      R"("protocol":"tcp","name":"a.example","type":"A","rcode":"NOERROR","source":"local")"));
  // A query that cannot be read is logged too, with what is unknown as null.
  auto two_questions = dns_query("a.example", RrType::A);
  two_questions[5] = 2;  // QDCOUNT 2, one question present
  REQUIRE(udp_exchange(server.port, two_questions));
  CHECK(server.process->wait_for_log(
      R"("protocol":"udp","name":null,"type":null,"rcode":"FORMERR","source":"none","answers":0,)"));
  // Not also as a text line.
  CHECK_FALSE(contains(server.process->log(), "dns a.example A ->"));
}

TEST_CASE("the JSON lines go to stdout, nothing else does, and --log-level does not mute them",
          "[query-log]") {
  auto records = write_temp_file("json-stdout.txt", "b.example,192.0.2.2,60\n");
  // stderr goes nowhere, so the port cannot be read from the log: a free port is picked, and
  // picked again if another test's server took it first (this server then exits at once).
  std::unique_ptr<Process> started;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && !started; ++attempt) {
    port = free_udp_port();
    std::string command =
        "exec '" + binary() + "' server " + std::to_string(port) + " -1 -1 '" + records +
        "' --listen 127.0.0.1 --threads 1 --log-queries=json --log-level warn 1>&2 2>/dev/null";
    auto process = std::make_unique<Process>(std::vector<std::string>{"sh", "-c", command});
    // Asked until it answers, within a deadline: the server's readiness is its first answer,
    // and only this server has b.example at 192.0.2.2.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (process->running() && std::chrono::steady_clock::now() < deadline) {
      auto reply = udp_exchange(port, dns_query("b.example", RrType::A), 200ms);
      // The answer's RDATA closes the reply (no OPT was asked for): 192.0.2.2.
      const Bytes address{192, 0, 2, 2};
      if (reply && reply->size() > address.size() &&
          std::equal(address.begin(), address.end(), reply->end() - 4)) {
        started = std::move(process);
        break;
      }
    }
  }
  REQUIRE(started);
  auto& process = *started;
  REQUIRE(process.wait_for_log(R"("name":"b.example")"));
  // Every line that came out is a query's JSON object.
  auto log = process.log();
  std::size_t lines = 0;
  for (std::size_t start = 0; start < log.size();) {
    auto end = log.find('\n', start);
    if (end == std::string::npos) break;
    auto line = log.substr(start, end - start);
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
    ++lines;
    start = end + 1;
  }
  CHECK(lines >= 1);
}

TEST_CASE("a bare --log-queries still writes the text lines on stderr", "[query-log]") {
  auto records = write_temp_file("text-log.txt", "c.example,192.0.2.3,60\n");
  ResolverServer server(records, std::nullopt, {"--log-queries"});
  REQUIRE(contains(dig(server.port(), {"c.example", "A"}).out, "192.0.2.3"));
  CHECK(server.process().wait_for_log("dns c.example A -> NOERROR (1 records) local "));
  REQUIRE(text_query(server.port(), "c.example"));
  CHECK(server.process().wait_for_log("text c.example -> c.example,192.0.2.3,60 local "));
}

// Several parents (--parent): failover, marking down, preference for the fastest.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"

using namespace harness;
using resolver::dns::RrType;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

FakeParent::Respond answer_with(const std::string& address) {
  return [address](const Bytes& query) {
    auto parse = resolver::dns::parse_query(query);
    auto record = a_record("placeholder.example", address, 300);
    record.name = parse.query.question.name;
    return std::vector<Bytes>{dns_reply(query, {record})};
  };
}

}  // namespace

TEST_CASE("a parent whose port is closed is skipped for the next one at once", "[failover]") {
  FakeParent good(answer_with("192.0.2.80"));
  ResolverServer child(write_temp_file("failover-dead.txt", kRecords), free_udp_port(),
                       {"--parent", "127.0.0.1:" + std::to_string(good.port())});
  auto start = std::chrono::steady_clock::now();
  CHECK(text_query(child.port(), "a.example") == "a.example,192.0.2.80,300");
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("a silent parent is skipped within the time budget and then marked down", "[failover]") {
  FakeParent silent([](const Bytes&) { return std::vector<Bytes>{}; });
  FakeParent good(answer_with("192.0.2.81"));
  ResolverServer child(write_temp_file("failover-silent.txt", kRecords), silent.port(),
                       {"--parent", "127.0.0.1:" + std::to_string(good.port()), "--threads", "1"});
  // Wherever the first attempt goes, the answer comes within the budget.
  auto start = std::chrono::steady_clock::now();
  CHECK(udp_exchange(child.port(), dns_query("one.example", RrType::A), 5s));
  CHECK(std::chrono::steady_clock::now() - start < 2600ms);
  // Once the silent parent has failed, it is down: the next names go to the good one at once.
  for (auto name : {"two.example", "three.example", "four.example"}) {
    auto asked = std::chrono::steady_clock::now();
    auto reply = udp_exchange(child.port(), dns_query(name, RrType::A), 5s);
    REQUIRE(reply);
    CHECK(header_of(*reply).ancount == 1);
    CHECK(std::chrono::steady_clock::now() - asked < 500ms);
  }
  CHECK(good.queries() >= 4);
}

TEST_CASE("a parent that answers SERVFAIL is skipped for one that answers", "[failover]") {
  FakeParent failing([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {}, resolver::dns::Rcode::ServFail)};
  });
  FakeParent good(answer_with("192.0.2.82"));
  ResolverServer child(write_temp_file("failover-servfail.txt", kRecords), failing.port(),
                       {"--parent", "127.0.0.1:" + std::to_string(good.port())});
  for (auto name : {"x.example", "y.example"}) {
    auto reply = text_query(child.port(), name);
    CHECK(reply == std::string(name) + ",192.0.2.82,300");
  }
}

TEST_CASE("the --parent option accepts IPv6 and rejects malformed values", "[failover]") {
  auto records = write_temp_file("failover-args.txt", kRecords);
  auto bad = run({binary(), "server", "0", "127.0.0.1", "1200", records, "--parent", "nonsense"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--parent nonsense") != std::string::npos);
  ResolverServer ok(records, free_udp_port(), {"--parent", "[::1]:5353"});
  CHECK(ok.process().log().find("[::1]:5353") != std::string::npos);
}

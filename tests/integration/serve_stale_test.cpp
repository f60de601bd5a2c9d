// Serve-stale (RFC 8767), prefetch and the cache's TTL clamps, through the real binary.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/answer.hpp"
#include "resolver/dns/rdata.hpp"

using namespace harness;
using namespace resolver::dns;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

// A parent that answers `name` with a short TTL until told to fall silent.
struct SwitchableParent {
  std::atomic<bool> silent{false};
  FakeParent parent{[this](const Bytes& query) {
    if (silent) return std::vector<Bytes>{};
    return std::vector<Bytes>{dns_reply(query, {a_record("fading.example", "192.0.2.70", 1)})};
  }};
};

// Asks until the answer's TTL shows the entry expired and was served stale (TTL 30).
std::optional<Bytes> ask_until_stale(std::uint16_t port, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = udp_exchange(port, dns_query("fading.example", RrType::A, 9, true, 1232), 5s);
    if (reply && header_of(*reply).ancount == 1) {
      WireReader reader(*reply);
      Header::read(reader);
      Question::read(reader);
      if (read_record(reader).ttl == 30) return reply;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("an expired answer is served stale with TTL 30 and EDE 3 when the parent is silent",
          "[stale]") {
  SwitchableParent parent;
  ResolverServer child(write_temp_file("stale.txt", kRecords), parent.parent.port());
  REQUIRE(text_query(child.port(), "fading.example") == "fading.example,192.0.2.70,1");
  parent.silent = true;
  auto start = std::chrono::steady_clock::now();
  auto stale = ask_until_stale(child.port(), 10s);
  REQUIRE(stale);
  CHECK(header_of(*stale).rcode == 0);
  CHECK(extended_error_of(*stale) == kEdeStaleAnswer);
  // Served after the client response timer (1.8 s), not after the whole upstream budget.
  CHECK(std::chrono::steady_clock::now() - start < 4s);
  CHECK(text_query(child.port(), "fading.example", 5s) == "fading.example,192.0.2.70,30");
}

TEST_CASE("a dead parent gets the stale answer at once", "[stale]") {
  auto parent = std::make_unique<FakeParent>([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("fading.example", "192.0.2.70", 1)})};
  });
  ResolverServer child(write_temp_file("stale-dead.txt", kRecords), parent->port());
  REQUIRE(text_query(child.port(), "fading.example") == "fading.example,192.0.2.70,1");
  parent.reset();  // its port is closed: queries to it are refused at once (ICMP)
  std::this_thread::sleep_for(1100ms);  // the one-second TTL runs out
  auto start = std::chrono::steady_clock::now();
  auto reply = udp_exchange(child.port(), dns_query("fading.example", RrType::A, 3, true, 1232));
  REQUIRE(reply);
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
  CHECK(header_of(*reply).ancount == 1);
  CHECK(extended_error_of(*reply) == kEdeStaleAnswer);
}

TEST_CASE("with --no-serve-stale an expired answer gives SERVFAIL", "[stale]") {
  SwitchableParent parent;
  ResolverServer child(write_temp_file("no-stale.txt", kRecords), parent.parent.port(),
                       {"--no-serve-stale"});
  REQUIRE(text_query(child.port(), "fading.example") == "fading.example,192.0.2.70,1");
  parent.silent = true;
  // Until the one-second TTL runs out the cached answer is served; then SERVFAIL.
  auto deadline = std::chrono::steady_clock::now() + 8s;
  std::optional<std::string> reply;
  while (std::chrono::steady_clock::now() < deadline) {
    reply = text_query(child.port(), "fading.example", 5s);
    if (reply != "fading.example,192.0.2.70,0" && reply != "fading.example,192.0.2.70,1") break;
  }
  CHECK(reply == "fading.example,SERVFAIL,0");
}

TEST_CASE("an answer asked for in the last tenth of its TTL is refreshed in the background",
          "[stale]") {
  std::atomic<int> answers{0};
  FakeParent parent([&](const Bytes& query) {
    ++answers;
    return std::vector<Bytes>{dns_reply(query, {a_record("popular.example", "192.0.2.71", 10)})};
  });
  ResolverServer child(write_temp_file("prefetch.txt", kRecords), parent.port());
  auto start = std::chrono::steady_clock::now();
  auto ask = [&] { return udp_exchange(child.port(), dns_query("popular.example", RrType::A)); };
  REQUIRE(ask());
  CHECK(parent.queries() == 1);
  // Waiting out 90% of the TTL is the behaviour under test, not a synchronisation.
  std::this_thread::sleep_until(start + 9200ms);
  REQUIRE(ask());  // answered from the cache, and triggers the refresh
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (parent.queries() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(parent.queries() == 2);
  // After the old entry's end the refreshed one answers: no miss reaches the parent.
  std::this_thread::sleep_until(start + 10500ms);
  REQUIRE(ask());
  CHECK(parent.queries() == 2);
}

TEST_CASE("the --max-negative-ttl option caps how long an NXDOMAIN from the parent is kept", "[stale]") {
  FakeParent parent([](const Bytes& query) {
    ResourceRecord soa;
    soa.name = DnsName::from_text("example");
    soa.type = RrType::SOA;
    soa.ttl = 3600;
    soa.rdata = encode_soa({DnsName::from_text("ns.example"), DnsName::from_text("h.example"),
                            1, 2, 3, 4, 3600});
    return std::vector<Bytes>{dns_reply(query, {}, Rcode::NxDomain, {soa})};
  });
  ResolverServer child(write_temp_file("negcap.txt", kRecords), parent.port(),
                       {"--max-negative-ttl", "5"});
  REQUIRE(text_query(child.port(), "gone.example") == "gone.example,NXDOMAIN,3600");
  // From the cache now: its lifetime was capped at 5 seconds.
  auto cached = text_query(child.port(), "gone.example");
  CHECK((cached == "gone.example,NXDOMAIN,4" || cached == "gone.example,NXDOMAIN,5"));
}

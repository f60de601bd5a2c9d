// Serve-stale (RFC 8767), prefetch and the cache's TTL clamps, through the real binary.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/answer.hpp"
#include "resolver/dns/query_parser.hpp"
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

// Asks (paced) until the answer's TTL shows the entry expired and was served stale (TTL 30).
std::optional<Bytes> ask_until_stale(std::uint16_t port, std::chrono::milliseconds limit) {
  std::optional<Bytes> stale;
  wait_until(
      [&] {
        auto reply = udp_exchange(port, dns_query("fading.example", RrType::A, 9, true, 1232), 5s);
        if (reply && first_answer_ttl(*reply) == 30u) stale = std::move(reply);
        return stale.has_value();
      },
      limit, 50ms);
  return stale;
}

// A reply the cache gives while the one-second TTL lasts: the answer, TTL 1 or 0, no EDE.
bool fresh(const std::optional<Bytes>& reply) {
  if (!reply || extended_error_of(*reply)) return false;
  auto ttl = first_answer_ttl(*reply);
  return ttl == 1u || ttl == 0u;
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
  // Ask (paced) until the reply shows that the one-second TTL has run out: that first reply
  // after the expiry must be the stale answer, and must come at once.
  std::optional<Bytes> reply;
  std::chrono::steady_clock::duration took{};
  bool expired = wait_until(
      [&] {
        auto asked = std::chrono::steady_clock::now();
        reply = udp_exchange(child.port(), dns_query("fading.example", RrType::A, 3, true, 1232));
        took = std::chrono::steady_clock::now() - asked;
        return !fresh(reply);
      },
      5s, 50ms);
  if (!expired) FAIL("the cache still answered fresh 5 s after the parent went away");
  REQUIRE(reply);
  CHECK(took < 500ms);
  CHECK(header_of(*reply).ancount == 1);
  CHECK(first_answer_ttl(*reply) == 30u);
  CHECK(extended_error_of(*reply) == kEdeStaleAnswer);
}

TEST_CASE("with --no-serve-stale an expired answer gives SERVFAIL", "[stale]") {
  SwitchableParent parent;
  ResolverServer child(write_temp_file("no-stale.txt", kRecords), parent.parent.port(),
                       {"--no-serve-stale"});
  REQUIRE(text_query(child.port(), "fading.example") == "fading.example,192.0.2.70,1");
  parent.silent = true;
  // Until the one-second TTL runs out the cached answer is served; then SERVFAIL. Ask (paced)
  // until the reply shows the expiry.
  std::optional<std::string> reply;
  bool expired = wait_until(
      [&] {
        reply = text_query(child.port(), "fading.example", 5s);
        return reply != "fading.example,192.0.2.70,0" && reply != "fading.example,192.0.2.70,1";
      },
      8s, 50ms);
  if (!expired) FAIL("the cached answer was still served after 8 s");
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
  std::optional<std::uint32_t> ttl;
  auto ask = [&] {
    auto reply = udp_exchange(child.port(), dns_query("popular.example", RrType::A));
    REQUIRE(reply);
    ttl = first_answer_ttl(*reply);
  };
  ask();
  CHECK(parent.queries() == 1);
  // 90% of the ten-second TTL must pass on the server's clock: ask (paced) until the reply's TTL
  // shows the last tenth (TTL 0: under a second left). That ask is answered from the cache and
  // triggers the refresh; none of the asks before it may.
  bool last_tenth = wait_until(
      [&] {
        CHECK(parent.queries() == 1);
        ask();
        return ttl == 0u;
      },
      15s, 200ms);
  if (!last_tenth) {
    FAIL("no reply showed TTL 0 within 15 s; the last TTL was "
         << (ttl ? std::to_string(*ttl) : "missing"));
  }
  bool refreshed = wait_until([&] { return parent.queries() >= 2; }, 2s, 20ms);
  if (!refreshed) FAIL("the parent saw no refresh within 2 s of the ask with TTL 0");
  CHECK(parent.queries() == 2);
  // The refreshed entry answers from then on (the old one may still answer TTL 0 until the
  // refresh is stored). Once a reply shows TTL 8, more than a second has passed since the ask
  // with TTL 0, so the old entry has ended: no miss may have reached the parent.
  bool past_old_end = wait_until(
      [&] {
        ask();
        return ttl == 8u;
      },
      5s, 100ms);
  if (!past_old_end) {
    FAIL("no reply showed TTL 8 within 5 s; the last TTL was "
         << (ttl ? std::to_string(*ttl) : "missing"));
  }
  CHECK(parent.queries() == 2);
}

TEST_CASE("the --max-negative-ttl option caps how long an NXDOMAIN from the parent is kept",
          "[stale]") {
  FakeParent parent([](const Bytes& query) {
    ResourceRecord soa;
    soa.name = DnsName::from_text("example");
    soa.type = RrType::SOA;
    soa.ttl = 3600;
    soa.rdata = encode_soa(
        {DnsName::from_text("ns.example"), DnsName::from_text("h.example"), 1, 2, 3, 4, 3600});
    return std::vector<Bytes>{dns_reply(query, {}, Rcode::NxDomain, {soa})};
  });
  ResolverServer child(write_temp_file("negcap.txt", kRecords), parent.port(),
                       {"--max-negative-ttl", "5"});
  REQUIRE(text_query(child.port(), "gone.example") == "gone.example,NXDOMAIN,3600");
  // From the cache now: its lifetime was capped at 5 seconds.
  auto cached = text_query(child.port(), "gone.example");
  CHECK((cached == "gone.example,NXDOMAIN,4" || cached == "gone.example,NXDOMAIN,5"));
}

// What dig sees of the rules a caching server must keep: only records that answer the question
// are cached (RFC 5452 6), unknown EDNS versions get BADVERS (RFC 6891 6.1.3), and stale
// answers carry Extended DNS Error 3 (RFC 8767, RFC 8914).
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "support/records.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;
using namespace resolver::dns;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

// A parent whose reply to `lure.example` also carries records for names nobody asked about, in
// the answer and the authority sections, beside a CNAME chain; other names get 192.0.2.99.
std::vector<Bytes> poisoning_parent(const Bytes& query) {
  auto parse = parse_query(query);
  if (parse.query.question.name == DnsName::from_text("lure.example")) {
    return {dns_reply(query,
                      {test_support::cname_record("lure.example", "chain.example", 3600),
                       a_record("chain.example", "192.0.2.50", 3600),
                       a_record("victim.example", "6.6.6.6", 3600)},
                      Rcode::NoError, {a_record("victim-ns.example", "6.6.6.7", 3600)})};
  }
  return {dns_reply(query, {a_record(parse.query.question.name.to_text(), "192.0.2.99", 300)})};
}

}  // namespace

TEST_CASE("records for names not asked about are neither cached nor served", "[conformance]") {
  FakeParent parent(poisoning_parent);
  ResolverServer child(write_temp_file("poison.txt", kRecords), parent.port());
  auto lure = dig(child.port(), {"+short", "lure.example"});
  CHECK(lure.out == "chain.example.\n192.0.2.50\n");
  int asked = parent.queries();
  for (std::string name : {"victim.example", "victim-ns.example", "chain.example"}) {
    INFO(name);
    auto reply = dig(child.port(), {"+short", name});
    // The parent is asked, and its own answer is served, not the record smuggled in before.
    CHECK(reply.out == "192.0.2.99\n");
    CHECK(parent.queries() == ++asked);
  }
}

TEST_CASE("an unknown EDNS version gets BADVERS with an OPT of version 0 and no answer",
          "[conformance]") {
  FakeParent parent([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("remote.example", "192.0.2.60", 300)})};
  });
  ResolverServer child(write_temp_file("badvers.txt", kRecords), parent.port());
  // A cached name too: every path a query can take must check the version first.
  REQUIRE(dig(child.port(), {"+short", "remote.example"}).out == "192.0.2.60\n");
  for (std::string name : {"local.example", "remote.example", "unknown.example"}) {
    INFO(name);
    auto reply = dig(child.port(), {"+edns=1", "+noednsnegotiation", name});
    CHECK(contains(reply.out, "status: BADVERS"));
    CHECK(contains(reply.out, "ANSWER: 0,"));
    CHECK(contains(reply.out, "EDNS: version: 0"));
  }
  CHECK(parent.queries() == 1);
}

TEST_CASE("dig shows EDE 3 Stale Answer on an answer served stale", "[conformance]") {
  auto parent = std::make_unique<FakeParent>([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("fading.example", "192.0.2.70", 1)})};
  });
  ResolverServer child(write_temp_file("stale-ede.txt", kRecords), parent->port());
  REQUIRE(dig(child.port(), {"+short", "fading.example"}).out == "192.0.2.70\n");
  parent.reset();  // its port is closed: the refresh fails at once
  // Asked until the one-second TTL has run out and the answer comes stale (TTL 30).
  CommandResult reply;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    reply = dig(child.port(), {"+noall", "+answer", "+comments", "fading.example"});
  } while (!contains(reply.out, "\t30\tIN\tA") && std::chrono::steady_clock::now() < deadline);
  CHECK(contains(reply.out, "status: NOERROR"));
  CHECK(contains(reply.out, "EDE: 3 (Stale Answer)"));
  // Without EDNS there is no OPT to carry it, and the answer is still given.
  auto plain = dig(child.port(), {"+noedns", "+noall", "+answer", "+comments", "fading.example"});
  CHECK(contains(plain.out, "192.0.2.70"));
  CHECK_FALSE(contains(plain.out, "EDE"));
}

// RFC 1035 on the wire, checked with dig and kdig and with hand-made datagrams.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/response_parser.hpp"
#include "support/strings.hpp"

#include <algorithm>
#include <set>

using namespace harness;
using test_support::contains;
using namespace resolver::dns;
using Lines = std::vector<std::string>;

namespace {

const std::string kRecords =
    "www.example.org,192.0.2.10,300\n"
    "multi.example.org,192.0.2.1,60\n"
    "multi.example.org,192.0.2.2,60\n"
    "multi.example.org,192.0.2.3,60\n"
    "v6.example.org,2001:db8::6,120\n";

}  // namespace

TEST_CASE("dig gets A, AAAA and several records, authoritative", "[dns]") {
  ResolverServer server(write_temp_file("dns-dig.txt", kRecords), std::nullopt);
  auto a = dig(server.port(), {"www.example.org", "A"});
  CHECK(contains(a.out, "status: NOERROR"));
  CHECK(contains(a.out, "flags: qr aa rd;"));
  CHECK(contains(a.out, "www.example.org.\t300\tIN\tA\t192.0.2.10"));
  auto aaaa = dig(server.port(), {"+short", "v6.example.org", "AAAA"});
  CHECK(aaaa.out == "2001:db8::6\n");
  auto multi = dig(server.port(), {"+short", "multi.example.org"});
  CHECK(sorted_lines(multi.out) == Lines{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
}

TEST_CASE("dig gets NXDOMAIN and NODATA with a SOA whose minimum is the negative TTL", "[dns]") {
  ResolverServer server(write_temp_file("dns-neg.txt", kRecords), std::nullopt,
                        {"--negative-ttl", "77"});
  auto nx = dig(server.port(), {"nosuch.example.org"});
  CHECK(contains(nx.out, "status: NXDOMAIN"));
  CHECK(contains(nx.out, "AUTHORITY: 1"));
  CHECK(contains(nx.out, "\t77\tIN\tSOA\t"));
  CHECK(contains(nx.out, " 77\n"));
  auto nodata = dig(server.port(), {"www.example.org", "AAAA"});
  CHECK(contains(nodata.out, "status: NOERROR"));
  CHECK(contains(nodata.out, "ANSWER: 0, AUTHORITY: 1"));
}

TEST_CASE("the question is echoed with the client's letter case", "[dns]") {
  ResolverServer server(write_temp_file("dns-case.txt", kRecords), std::nullopt);
  auto result = dig(server.port(), {"WwW.ExAmPlE.oRg"});
  CHECK(contains(result.out, ";WwW.ExAmPlE.oRg.\t\tIN\tA"));
  CHECK(contains(result.out, "WwW.ExAmPlE.oRg.\t300\tIN\tA\t192.0.2.10"));
}

TEST_CASE("an OPT record is in the reply exactly when the query had one", "[dns]") {
  ResolverServer server(write_temp_file("dns-edns.txt", kRecords), std::nullopt);
  auto with = udp_exchange(server.port(), dns_query("www.example.org", RrType::A, 1, true, 4096));
  REQUIRE(with);
  CHECK(header_of(*with).arcount == 1);
  CHECK(contains(dig(server.port(), {"www.example.org"}).out, "udp: 1232"));
  auto without = udp_exchange(server.port(), dns_query("www.example.org", RrType::A));
  REQUIRE(without);
  CHECK(header_of(*without).arcount == 0);
  CHECK(!contains(dig(server.port(), {"+noedns", "www.example.org"}).out, "OPT PSEUDOSECTION"));
}

TEST_CASE("EDNS version 1 gets BADVERS", "[dns]") {
  ResolverServer server(write_temp_file("dns-badvers.txt", kRecords), std::nullopt);
  auto result = dig(server.port(), {"+edns=1", "+noednsnegotiation", "www.example.org"});
  CHECK(contains(result.out, "status: BADVERS"));
}

TEST_CASE("kdig gets the same answers as dig", "[dns]") {
  REQUIRE(have_program("kdig"));  // knot-dnsutils, installed by ./dev.sh test
  ResolverServer server(write_temp_file("dns-kdig.txt", kRecords), std::nullopt);
  auto result = run(
      {"kdig", "@127.0.0.1", "-p", std::to_string(server.port()), "+short", "multi.example.org"});
  CHECK(sorted_lines(result.out) == Lines{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  auto nx = run({"kdig", "@127.0.0.1", "-p", std::to_string(server.port()), "nosuch.example"});
  CHECK(contains(nx.out, "status: NXDOMAIN"));
}

TEST_CASE("an answer too large for 512 bytes sets TC without EDNS and fits with it", "[dns]") {
  std::string many;
  for (int i = 1; i <= 60; ++i) many += "big.example.org,10.0.0." + std::to_string(i) + ",60\n";
  ResolverServer server(write_temp_file("dns-tc.txt", many), std::nullopt);
  auto small = udp_exchange(server.port(), dns_query("big.example.org", RrType::A));
  REQUIRE(small);
  CHECK(header_of(*small).tc);
  CHECK(header_of(*small).ancount == 0);
  CHECK(small->size() <= 512);
  auto large = udp_exchange(server.port(), dns_query("big.example.org", RrType::A, 2, true, 1232));
  REQUIRE(large);
  CHECK(!header_of(*large).tc);
  CHECK(header_of(*large).ancount == 60);
}

TEST_CASE("protocol errors get NOTIMP, FORMERR and REFUSED and responses are dropped", "[dns]") {
  ResolverServer server(write_temp_file("dns-errors.txt", kRecords), std::nullopt);
  auto query = dns_query("www.example.org", RrType::A);
  auto with_opcode = query;
  with_opcode[2] |= 0x10;  // opcode 2 (STATUS)
  auto notimp = udp_exchange(server.port(), with_opcode);
  REQUIRE(notimp);
  CHECK(header_of(*notimp).rcode == 4);
  auto two_questions = query;
  two_questions[5] = 2;
  auto formerr = udp_exchange(server.port(), two_questions);
  REQUIRE(formerr);
  CHECK(header_of(*formerr).rcode == 1);
  auto chaos = query;
  chaos[chaos.size() - 1] = 3;  // class CH
  auto refused = udp_exchange(server.port(), chaos);
  REQUIRE(refused);
  CHECK(header_of(*refused).rcode == 5);
  auto response = query;
  response[2] |= 0x80;  // QR=1: never answer a response (reflection loops)
  CHECK(!udp_exchange(server.port(), response, 300ms));
  CHECK(udp_exchange(server.port(), query));
}

TEST_CASE("RD=0 is answered from local data and cache only, never forwarded", "[dns]") {
  FakeParent parent([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("far.example", "192.0.2.50", 300)})};
  });
  ResolverServer child(write_temp_file("dns-rd.txt", kRecords), parent.port());
  auto local = udp_exchange(child.port(), dns_query("www.example.org", RrType::A, 1, false));
  REQUIRE(local);
  CHECK(header_of(*local).ancount == 1);
  CHECK(header_of(*local).ra);
  auto miss = udp_exchange(child.port(), dns_query("far.example", RrType::A, 2, false));
  REQUIRE(miss);
  CHECK(header_of(*miss).rcode == 5);
  CHECK(parent.queries() == 0);
  REQUIRE(udp_exchange(child.port(), dns_query("far.example", RrType::A, 3, true)));
  CHECK(parent.queries() == 1);
  auto cached = udp_exchange(child.port(), dns_query("far.example", RrType::A, 4, false));
  REQUIRE(cached);
  CHECK(header_of(*cached).ancount == 1);
  CHECK(!header_of(*cached).aa);
  CHECK(parent.queries() == 1);
}

TEST_CASE("several addresses of a name are rotated between answers", "[dns]") {
  ResolverServer server(write_temp_file("dns-rr.txt", kRecords), std::nullopt);
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    auto result = dig(server.port(), {"+short", "multi.example.org"});
    auto lines = result.out;
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);
    firsts.insert(lines.substr(0, lines.find('\n')));
  }
  CHECK(firsts == std::set<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
}

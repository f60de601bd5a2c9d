// The exchange codec: what a query looks like on the wire and which datagrams answer it.
#include "resolver/exchange/exchange.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"
#include "support/records.hpp"

namespace {

using resolver::dns::Answer;
using resolver::dns::DnsName;
using resolver::dns::Rcode;
using resolver::dns::RrType;
using namespace resolver::exchange;
using test_support::address_record;
using test_support::addresses;
using test_support::question;

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kId = 0x5a5a;

Bytes encode(const Query& query) {
  std::array<std::uint8_t, 512> out{};
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(encode_query(query, out)));
}

Bytes bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Answer with_addresses(std::string_view name, std::vector<std::string_view> list) {
  Answer answer;
  for (auto address : list) answer.answers.push_back(address_record(name, address));
  return answer;
}

// What a DNS server would send back for `sent`, its question spelled as `echoed` (as received
// when empty).
Bytes dns_reply(const Bytes& sent, const Answer& answer, std::string_view echoed = {}) {
  auto parse = resolver::dns::parse_query(sent);
  REQUIRE(parse.action == resolver::dns::QueryParse::Action::Answer);
  if (!echoed.empty()) parse.query.question.name = DnsName::from_text(echoed);
  std::array<std::uint8_t, 1232> out{};
  auto size = resolver::dns::build_response(parse.query, answer, {}, out);
  REQUIRE(size > 0);
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
}

}  // namespace

TEST_CASE("a DNS query and its reply make a round trip", "[exchange]") {
  auto query = make_query(Protocol::Dns, question("www.example.org"), kId);
  CHECK(query.id == kId);
  CHECK(query.question.name.identical(DnsName::from_text("www.example.org")));
  auto sent = encode(query);
  REQUIRE(sent.size() > 12);
  CHECK(datagram_id(sent) == kId);

  auto match =
      match_reply(query, dns_reply(sent, with_addresses("www.example.org", {"192.0.2.1"})));
  REQUIRE(match.status == MatchStatus::Answered);
  CHECK(match.answer.rcode == Rcode::NoError);
  CHECK(addresses(match.answer) == std::vector<std::string>{"192.0.2.1"});
  REQUIRE(match.echoed_name);
  CHECK(match.echoed_name->identical(query.question.name));
}

TEST_CASE("a DNS reply with another ID is not the reply", "[exchange]") {
  auto query = make_query(Protocol::Dns, question("www.example.org"), kId);
  auto reply = dns_reply(encode(query), with_addresses("www.example.org", {"192.0.2.1"}));
  reply[1] ^= 0x01;
  auto match = match_reply(query, reply);
  CHECK(match.status == MatchStatus::Unmatched);
  CHECK_FALSE(match.echoed_name);
}

TEST_CASE("a DNS reply to another question is not the reply", "[exchange]") {
  auto query = make_query(Protocol::Dns, question("www.example.org"), kId);
  auto other = encode(make_query(Protocol::Dns, question("evil.example.org"), kId));
  CHECK(match_reply(query, dns_reply(other, with_addresses("evil.example.org", {"192.0.2.66"})))
            .status == MatchStatus::Unmatched);
  auto other_type =
      encode(make_query(Protocol::Dns, question("www.example.org", RrType::AAAA), kId));
  CHECK(match_reply(query, dns_reply(other_type, {})).status == MatchStatus::Unmatched);
}

TEST_CASE("0x20 randomises the letter case of a DNS query only, and shows the echo", "[exchange]") {
  // 26 letters: all 26 left as given by chance is one in 2^26.
  const char* name = "abcdefghijklm.nopqrstuvwxyz.example";
  auto query = make_query(Protocol::Dns, question(name), kId, LetterCase::Randomized);
  CHECK(query.question.name == DnsName::from_text(name));
  CHECK_FALSE(query.question.name.identical(DnsName::from_text(name)));
  auto sent = encode(query);

  SECTION("a reply keeping the case echoes it exactly") {
    auto match = match_reply(query, dns_reply(sent, with_addresses(name, {"192.0.2.1"})));
    REQUIRE(match.status == MatchStatus::Answered);
    REQUIRE(match.echoed_name);
    CHECK(match.echoed_name->identical(query.question.name));
  }
  SECTION("a lower-cased echo still answers; the caller sees the difference") {
    auto match = match_reply(query, dns_reply(sent, with_addresses(name, {"192.0.2.1"}), name));
    REQUIRE(match.status == MatchStatus::Answered);
    REQUIRE(match.echoed_name);
    CHECK(match.echoed_name->identical(DnsName::from_text(name)));
    CHECK_FALSE(match.echoed_name->identical(query.question.name));
  }
  SECTION("the client's queries and text queries go out as given") {
    CHECK(make_query(Protocol::Dns, question(name), kId)
              .question.name.identical(DnsName::from_text(name)));
    auto text = make_query(Protocol::Text, question(name), kId, LetterCase::Randomized);
    CHECK(text.question.name.identical(DnsName::from_text(name)));
    CHECK(encode(text) == bytes(name));
  }
}

TEST_CASE("a truncated DNS reply is Truncated, once it is known to be ours", "[exchange]") {
  auto query = make_query(Protocol::Dns, question("www.example.org"), kId);
  auto reply = dns_reply(encode(query), with_addresses("www.example.org", {"192.0.2.1"}));
  reply[2] |= 0x02;  // TC
  auto match = match_reply(query, reply);
  CHECK(match.status == MatchStatus::Truncated);
  CHECK(match.echoed_name);
  reply[0] ^= 0x01;
  CHECK(match_reply(query, reply).status == MatchStatus::Unmatched);
}

TEST_CASE("a text query is the name, and its reply keeps the asked type", "[exchange]") {
  const auto reply = bytes("www.example.org,192.0.2.1,60\nwww.example.org,2001:db8::1,30");

  auto a = make_query(Protocol::Text, question("www.example.org"), kId);
  CHECK(a.id == 0);
  CHECK(encode(a) == bytes("www.example.org"));
  auto match = match_reply(a, reply);
  REQUIRE(match.status == MatchStatus::Answered);
  CHECK(addresses(match.answer) == std::vector<std::string>{"192.0.2.1"});
  CHECK_FALSE(match.echoed_name);

  auto aaaa = make_query(Protocol::Text, question("www.example.org", RrType::AAAA), kId);
  CHECK(addresses(match_reply(aaaa, reply).answer) == std::vector<std::string>{"2001:db8::1"});

  auto any = make_query(Protocol::Text, question("www.example.org", RrType::ANY), kId);
  CHECK(addresses(match_reply(any, reply).answer) ==
        std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
}

TEST_CASE("a text reply holding only other types is NODATA for the asked type", "[exchange]") {
  auto query = make_query(Protocol::Text, question("www.example.org", RrType::AAAA), kId);
  auto match = match_reply(query, bytes("www.example.org,192.0.2.1,45"));
  REQUIRE(match.status == MatchStatus::Answered);
  CHECK(match.answer.rcode == Rcode::NoError);
  CHECK(match.answer.answers.empty());
  CHECK(match.answer.is_negative());
  CHECK(match.answer.authority.size() == 1);              // the SOA that carries its negative TTL
  CHECK(resolver::dns::answer_ttl(match.answer) == 45u);  // as long as the name's A record
}

TEST_CASE("text failures and negative answers are answers; text never truncates", "[exchange]") {
  auto query = make_query(Protocol::Text, question("www.example.org"), kId);
  auto nx = match_reply(query, bytes("www.example.org,NXDOMAIN,30"));
  REQUIRE(nx.status == MatchStatus::Answered);
  CHECK(nx.answer.rcode == Rcode::NxDomain);
  auto failed = match_reply(query, bytes("www.example.org,SERVFAIL,0"));
  REQUIRE(failed.status == MatchStatus::Answered);
  CHECK_FALSE(failed.answer.is_final());
}

TEST_CASE("garbage and replies about other names match nothing", "[exchange]") {
  auto dns = make_query(Protocol::Dns, question("www.example.org"), kId);
  auto text = make_query(Protocol::Text, question("www.example.org"), kId);
  for (const auto& datagram : {Bytes{}, Bytes{0x5a}, Bytes{0x5a, 0x5a, 0x80, 0x00, 0xff},
                               bytes("hello"), bytes("other.example.org,192.0.2.1,60"),
                               bytes("www.example.org,192.0.2.1,soon"), bytes(",FORMERR,0")}) {
    CHECK(match_reply(dns, datagram).status == MatchStatus::Unmatched);
    CHECK(match_reply(text, datagram).status == MatchStatus::Unmatched);
  }
  // A DNS query sent back (QR clear) is not a reply either.
  CHECK(match_reply(dns, encode(dns)).status == MatchStatus::Unmatched);
  CHECK_FALSE(datagram_id(Bytes{0x5a}));
}

TEST_CASE("a query that does not fit the buffer encodes to nothing", "[exchange]") {
  std::array<std::uint8_t, 8> small{};
  CHECK(encode_query(make_query(Protocol::Dns, question("www.example.org"), kId), small) == 0);
  CHECK(encode_query(make_query(Protocol::Text, question("www.example.org"), kId), small) == 0);
}

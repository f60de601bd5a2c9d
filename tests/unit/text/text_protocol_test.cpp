#include "resolver/text/text_protocol.hpp"

#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

#include "support/records.hpp"

namespace {

using resolver::dns::Answer;
using resolver::dns::DnsName;
using resolver::dns::Rcode;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using namespace resolver::text;
using test_support::address_record;
using test_support::addresses;
using test_support::cname_record;
using test_support::negative_with_soa;

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Answer with_records(std::vector<ResourceRecord> records, bool authoritative = false) {
  Answer answer;
  answer.authoritative = authoritative;
  answer.answers = std::move(records);
  return answer;
}

const DnsName kWww = DnsName::from_text("www.example.org");

}  // namespace

TEST_CASE("a datagram without a NUL byte is text, one with a NUL byte is DNS", "[text]") {
  using namespace std::string_literals;
  struct Case {
    std::string datagram;
    bool text;
  };
  const std::vector<Case> cases = {
      {"www.example.org", true},
      {"www.example.org\r\n", true},
      {"not even a name, but text", true},
      {"\xff\xfe", true},
      {"", false},
      {"\0"s, false},
      {"www.example\0org"s, false},
      // A DNS query header: ID 0x1234, RD, QDCOUNT 1.
      {"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"s, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.datagram);
    CHECK(is_text_datagram(bytes(c.datagram)) == c.text);
  }
}

TEST_CASE("a text query is a bare name, optionally ending in LF or CRLF", "[text]") {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  struct Case {
    std::string datagram;
    std::string name;
  };
  const std::vector<Case> cases = {
      {"www.example.org", "www.example.org"},
      {"www.example.org\n", "www.example.org"},
      {"www.example.org\r\n", "www.example.org"},
      {"www.example.org.", "www.example.org"},
      {"www.example.org.\r\n", "www.example.org"},
      {"localhost", "localhost"},
      {"_service.x-y.example", "_service.x-y.example"},
      {name253, name253},
      {name253 + ".\r\n", name253},
  };
  for (const auto& c : cases) {
    CAPTURE(c.datagram);
    auto name = parse_text_query(bytes(c.datagram));
    REQUIRE(name);
    CHECK(*name == DnsName::from_text(c.name));
  }
}

TEST_CASE("a text query keeps the letter case it was sent with", "[text]") {
  auto name = parse_text_query(bytes("WWW.Example.Org\n"));
  REQUIRE(name);
  CHECK(name->to_text() == "WWW.Example.Org");
}

TEST_CASE("a text query that is not exactly one valid name is rejected", "[text]") {
  using namespace std::string_literals;
  const std::string label63(63, 'a');
  const std::string name254 = label63 + "." + label63 + "." + label63 + "." + std::string(62, 'b');
  const std::vector<std::string> rejected = {
      "",
      "\n",
      "\r\n",
      "\r",
      " ",
      ".",
      ".\n",
      "..",
      "a..b",
      ".example.org",
      "www.example.org..",
      "www example.org",
      " www.example.org",
      "www.example.org ",
      "www.example.org\t",
      "www.example.org,192.0.2.1,60",
      "a,b",
      "www.example.org\n\n",
      "www.example.org\r",
      "www.example.org\n\r",
      "www.example.org\nother.example.org",
      "www.example.org\0"s,
      "caf\xc3\xa9.example",   // valid UTF-8, but not a host name
      "\xff\xfe\xfd.example",  // not UTF-8 at all
      "\xc3.example",          // a truncated UTF-8 sequence
      std::string(64, 'a') + ".example",
      name254,
      name254 + "\r\n",
      std::string(300, 'a'),
      std::string(5000, 'a'),
  };
  for (const auto& datagram : rejected) {
    CAPTURE(datagram);
    CHECK_FALSE(parse_text_query(bytes(datagram)));
  }
}

TEST_CASE("address records are formatted one name,address,ttl line each, joined by LF", "[text]") {
  Answer answer = with_records({
      address_record("www.example.org", "192.0.2.1", 60),
      address_record("www.example.org", "192.0.2.2", 60),
      address_record("www.example.org", "2001:db8::1", 30),
  });
  CHECK(format_text_reply(kWww, answer) ==
        "www.example.org,192.0.2.1,60\n"
        "www.example.org,192.0.2.2,60\n"
        "www.example.org,2001:db8::1,30");
}

TEST_CASE("a single address reply is the record file's line without a newline", "[text]") {
  auto name = DnsName::from_text("www.google.co.il");
  CHECK(format_text_reply(name,
                          with_records({address_record("www.google.co.il", "21.9.19.8", 60)})) ==
        "www.google.co.il,21.9.19.8,60");
}

TEST_CASE("records that are not addresses are left out of a text reply", "[text]") {
  Answer answer = with_records(
      {cname_record("www.example.org", "host", 300), address_record("host", "192.0.2.9", 120)});
  CHECK(format_text_reply(kWww, answer) == "www.example.org,192.0.2.9,120");
}

TEST_CASE("failures are formatted as one explicit line", "[text]") {
  struct Case {
    Answer answer;
    std::string reply;
  };
  const std::vector<Case> cases = {
      {negative_with_soa(Rcode::NxDomain, 120, 120), "www.example.org,NXDOMAIN,120"},
      {negative_with_soa(Rcode::NxDomain, 600, 45), "www.example.org,NXDOMAIN,45"},
      {negative_with_soa(Rcode::NxDomain, 45, 600), "www.example.org,NXDOMAIN,45"},
      {resolver::dns::negative_answer(Rcode::NxDomain, 60, true), "www.example.org,NXDOMAIN,60"},
      {negative_with_soa(Rcode::NoError, 300, 300), "www.example.org,NODATA,300"},
      {resolver::dns::negative_answer(Rcode::NoError, 60, true), "www.example.org,NODATA,60"},
      {resolver::dns::failure_answer(Rcode::NxDomain), "www.example.org,NXDOMAIN,0"},
      {resolver::dns::failure_answer(Rcode::ServFail), "www.example.org,SERVFAIL,0"},
      {resolver::dns::failure_answer(Rcode::NotImp), "www.example.org,SERVFAIL,0"},
      {resolver::dns::failure_answer(Rcode::Refused), "www.example.org,REFUSED,0"},
      {resolver::dns::failure_answer(Rcode::FormErr), ",FORMERR,0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.reply);
    CHECK(format_text_reply(kWww, c.answer) == c.reply);
  }
  CHECK(kFormErrReply == ",FORMERR,0");
}

TEST_CASE("a failure line wins over records the failed answer may carry", "[text]") {
  Answer answer = with_records({address_record("www.example.org", "192.0.2.1", 60)});
  answer.rcode = Rcode::ServFail;
  CHECK(format_text_reply(kWww, answer) == "www.example.org,SERVFAIL,0");
}

TEST_CASE("merging A and AAAA answers: records win, failures beat negatives", "[text]") {
  Answer a_records = with_records({address_record("www.example.org", "192.0.2.1", 60)}, true);
  Answer aaaa_records = with_records({address_record("www.example.org", "2001:db8::1", 30)}, true);
  Answer a_nodata = negative_with_soa(Rcode::NoError, 100, 100);
  Answer aaaa_nodata = negative_with_soa(Rcode::NoError, 200, 200);
  Answer a_nxdomain = negative_with_soa(Rcode::NxDomain, 300, 300);
  Answer aaaa_nxdomain = negative_with_soa(Rcode::NxDomain, 400, 400);
  Answer servfail = resolver::dns::failure_answer(Rcode::ServFail);
  Answer refused = resolver::dns::failure_answer(Rcode::Refused);

  SECTION("records of both are kept, A first") {
    auto merged = merge_address_answers(a_records, aaaa_records);
    CHECK(merged.rcode == Rcode::NoError);
    CHECK(addresses(merged) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
    CHECK(merged.authoritative);
  }
  SECTION("records win over a negative or failed other half") {
    for (const Answer* other : {&aaaa_nodata, &aaaa_nxdomain, &servfail, &refused}) {
      auto merged = merge_address_answers(a_records, *other);
      CHECK(merged.rcode == Rcode::NoError);
      CHECK(addresses(merged) == std::vector<std::string>{"192.0.2.1"});
      auto reversed = merge_address_answers(*other, aaaa_records);
      CHECK(reversed.rcode == Rcode::NoError);
      CHECK(addresses(reversed) == std::vector<std::string>{"2001:db8::1"});
    }
  }
  SECTION("a merged answer is authoritative only when both halves are") {
    Answer cached = with_records({address_record("www.example.org", "2001:db8::1", 30)}, false);
    CHECK_FALSE(merge_address_answers(a_records, cached).authoritative);
  }
  SECTION("a failure of either half wins over a negative answer") {
    CHECK(merge_address_answers(servfail, aaaa_nodata).rcode == Rcode::ServFail);
    CHECK(merge_address_answers(a_nxdomain, servfail).rcode == Rcode::ServFail);
    CHECK(merge_address_answers(refused, aaaa_nxdomain).rcode == Rcode::Refused);
    CHECK(merge_address_answers(a_nodata, refused).rcode == Rcode::Refused);
  }
  SECTION("when both are negative the A answer is used") {
    auto nx = merge_address_answers(a_nxdomain, aaaa_nxdomain);
    CHECK(nx.rcode == Rcode::NxDomain);
    CHECK(resolver::dns::answer_ttl(nx) == 300u);
    auto nodata = merge_address_answers(a_nodata, aaaa_nodata);
    CHECK(nodata.rcode == Rcode::NoError);
    CHECK(nodata.answers.empty());
    CHECK(resolver::dns::answer_ttl(nodata) == 100u);
  }
}

TEST_CASE("a CNAME'd name's text reply is the chain's final addresses under the name asked",
          "[text]") {
  // What the handler answers for www -> edge -> host, asked A and AAAA.
  Answer a = with_records({cname_record("www.example.org", "edge.example.org", 300),
                           cname_record("edge.example.org", "host.example.net", 300),
                           address_record("host.example.net", "192.0.2.7", 40)});
  Answer aaaa = with_records({cname_record("www.example.org", "edge.example.org", 300),
                              cname_record("edge.example.org", "host.example.net", 300),
                              address_record("host.example.net", "2001:db8::7", 50)});
  auto merged = merge_address_answers(a, aaaa);
  CHECK(addresses(merged) == std::vector<std::string>{"192.0.2.7", "2001:db8::7"});
  CHECK(format_text_reply(kWww, merged) ==
        "www.example.org,192.0.2.7,40\n"
        "www.example.org,2001:db8::7,50");
}

TEST_CASE("a CNAME chain that ends without addresses is NODATA or NXDOMAIN with the SOA's TTL",
          "[text]") {
  Answer nodata = negative_with_soa(Rcode::NoError, 90, 90);
  nodata.answers.push_back(cname_record("www.example.org", "host.example.net", 300));
  Answer nxdomain = negative_with_soa(Rcode::NxDomain, 70, 70);
  nxdomain.answers.push_back(cname_record("www.example.org", "gone.example.net", 300));

  SECTION("one half with an address wins, the chain records are dropped") {
    Answer aaaa = with_records({cname_record("www.example.org", "host.example.net", 300),
                                address_record("host.example.net", "2001:db8::7", 50)});
    auto merged = merge_address_answers(nodata, aaaa);
    CHECK(addresses(merged) == std::vector<std::string>{"2001:db8::7"});
  }
  SECTION("both halves without addresses: the A half's rcode, no chain, the SOA's TTL") {
    auto merged = merge_address_answers(nxdomain, nxdomain);
    CHECK(merged.rcode == Rcode::NxDomain);
    CHECK(merged.answers.empty());
    CHECK(format_text_reply(kWww, merged) == "www.example.org,NXDOMAIN,70");
    CHECK(format_text_reply(kWww, merge_address_answers(nodata, nodata)) ==
          "www.example.org,NODATA,90");
  }
  SECTION("formatted directly, the chain's CNAME TTL is not the negative TTL") {
    CHECK(format_text_reply(kWww, nodata) == "www.example.org,NODATA,90");
    CHECK(format_text_reply(kWww, nxdomain) == "www.example.org,NXDOMAIN,70");
  }
}

TEST_CASE("a text reply's address lines become A and AAAA records", "[text]") {
  auto answer = parse_text_reply(
      "www.example.org,192.0.2.1,60\n"
      "www.example.org,2001:db8::1,30",
      kWww);
  REQUIRE(answer);
  CHECK(answer->rcode == Rcode::NoError);
  CHECK_FALSE(answer->authoritative);
  REQUIRE(answer->answers.size() == 2);
  CHECK(answer->answers[0].type == RrType::A);
  CHECK(answer->answers[0].ttl == 60);
  CHECK(answer->answers[0].name == kWww);
  CHECK(answer->answers[1].type == RrType::AAAA);
  CHECK(answer->answers[1].ttl == 30);
  CHECK(addresses(*answer) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
}

TEST_CASE("a text reply with CRLF line ends, a final newline or another letter case is read",
          "[text]") {
  for (std::string_view reply :
       {"www.example.org,192.0.2.1,60\r\n", "WWW.EXAMPLE.ORG.,192.0.2.1,60\n",
        "www.example.org,192.0.2.1,60"}) {
    CAPTURE(reply);
    auto answer = parse_text_reply(reply, kWww);
    REQUIRE(answer);
    CHECK(addresses(*answer) == std::vector<std::string>{"192.0.2.1"});
  }
}

TEST_CASE("lines about other names are ignored in a text reply", "[text]") {
  auto answer = parse_text_reply(
      "evil.example,6.6.6.6,86400\n"
      "www.example.org,192.0.2.1,60\n"
      "example.org,6.6.6.7,86400\n"
      "a.www.example.org,6.6.6.8,86400",
      kWww);
  REQUIRE(answer);
  CHECK(addresses(*answer) == std::vector<std::string>{"192.0.2.1"});
  CHECK_FALSE(parse_text_reply("evil.example,6.6.6.6,86400", kWww));
  CHECK_FALSE(parse_text_reply("evil.example,NXDOMAIN,86400", kWww));
}

TEST_CASE("an NXDOMAIN or NODATA line gives a negative answer with that TTL", "[text]") {
  auto nx = parse_text_reply("www.example.org,NXDOMAIN,120", kWww);
  REQUIRE(nx);
  CHECK(nx->rcode == Rcode::NxDomain);
  CHECK(nx->answers.empty());
  CHECK_FALSE(nx->authoritative);
  CHECK(resolver::dns::answer_ttl(*nx) == 120u);

  auto nodata = parse_text_reply("www.example.org,NODATA,45\n", kWww);
  REQUIRE(nodata);
  CHECK(nodata->rcode == Rcode::NoError);
  CHECK(nodata->answers.empty());
  CHECK(resolver::dns::answer_ttl(*nodata) == 45u);
}

TEST_CASE("SERVFAIL and REFUSED lines give failure answers", "[text]") {
  auto servfail = parse_text_reply("www.example.org,SERVFAIL,0", kWww);
  REQUIRE(servfail);
  CHECK(servfail->rcode == Rcode::ServFail);
  auto refused = parse_text_reply("www.example.org,REFUSED,0", kWww);
  REQUIRE(refused);
  CHECK(refused->rcode == Rcode::Refused);
}

TEST_CASE("address lines win over a failure line in the same reply", "[text]") {
  auto answer = parse_text_reply("www.example.org,NXDOMAIN,60\nwww.example.org,192.0.2.1,60", kWww);
  REQUIRE(answer);
  CHECK(answer->rcode == Rcode::NoError);
  CHECK(addresses(*answer) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("a text reply that answers nothing gives nullopt", "[text]") {
  using namespace std::string_literals;
  const std::vector<std::string> garbage = {
      "",
      "\n",
      "garbage",
      "www.example.org",
      "www.example.org,192.0.2.1",
      "www.example.org,192.0.2.1,",
      "www.example.org,192.0.2.1,abc",
      "www.example.org,192.0.2.1,-5",
      "www.example.org,192.0.2.1,99999999999",
      "www.example.org,300.1.1.1,60",
      "www.example.org,not-an-address,60",
      "www.example.org,,60",
      ",FORMERR,0",
      "www.exa mple.org,192.0.2.1,60",
      "www.example.org,192.0.2.1,60,extra",
      "\0\0\0\0"s,
  };
  for (const auto& reply : garbage) {
    CAPTURE(reply);
    CHECK_FALSE(parse_text_reply(reply, kWww));
  }
}

TEST_CASE("a formatted reply parses back to the same answer", "[text]") {
  Answer answer = with_records({
      address_record("www.example.org", "192.0.2.1", 60),
      address_record("www.example.org", "2001:db8::1", 30),
  });
  auto parsed = parse_text_reply(format_text_reply(kWww, answer), kWww);
  REQUIRE(parsed);
  CHECK(parsed->answers == answer.answers);

  auto nx =
      parse_text_reply(format_text_reply(kWww, negative_with_soa(Rcode::NxDomain, 90, 90)), kWww);
  REQUIRE(nx);
  CHECK(nx->rcode == Rcode::NxDomain);
  CHECK(resolver::dns::answer_ttl(*nx) == 90u);
}

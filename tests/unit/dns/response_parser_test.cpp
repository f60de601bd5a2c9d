// parse_upstream_reply: which parent replies count and which of their records are kept.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "resolver/dns/rdata.hpp"
#include "resolver/dns/response_parser.hpp"

#include "support/bytes.hpp"

namespace resolver::dns {
namespace {

using test_support::Bytes;
using test_support::cat;

constexpr std::uint16_t kId = 0x4242;

Question question_for(const char* name, RrType type = RrType::A) {
  Question question;
  question.name = DnsName::from_text(name);
  question.type = type;
  return question;
}

// Reply header: ID 0x4242, QR RD RA, NOERROR, then counts.
Bytes header(std::uint8_t an, std::uint8_t ns, std::uint8_t ar, std::uint8_t flags_low = 0x80) {
  return {0x42, 0x42, 0x81, flags_low, 0x00, 0x01, 0x00, an, 0x00, ns, 0x00, ar};
}

// www.example.com A IN, at offset 12. "example.com" starts at offset 16.
const Bytes kQuestion{3,   'w', 'w', 'w', 7,   'e', 'x',  'a',  'm',  'p', 'l',
                      'e', 3,   'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01};
// www.example.com A 192.0.2.1, TTL 3600, owner compressed.
const Bytes kAnswerA{0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                     0x0E, 0x10, 0x00, 0x04, 192,  0,    2,    1};
const Bytes kSimpleReply = cat({header(1, 0, 0), kQuestion, kAnswerA});

// A record for `owner` (uncompressed wire name given as bytes) with address 192.0.2.`last`.
Bytes a_record(const Bytes& owner, std::uint8_t last) {
  return cat(
      {owner, {0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04, 192, 0, 2, last}});
}

Bytes cname_record(const Bytes& owner, const Bytes& target) {
  return cat({owner,
              {0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00,
               static_cast<std::uint8_t>(target.size())},
              target});
}

// SOA for `owner` with MNAME a., RNAME b., all numbers 1..5, TTL 60.
Bytes soa_record(const Bytes& owner) {
  return cat({owner, {0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x1A, 1, 'a',
                      0,    1,    'b',  0,    0,    0,    0,    1,    0,    0,    0, 2,
                      0,    0,    0,    3,    0,    0,    0,    4,    0,    0,    0, 5}});
}

const Bytes kWww{3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
const Bytes kExampleCom{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
const Bytes kExampleNet{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
const Bytes kWebNet{3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};

}  // namespace

TEST_CASE("a simple A reply is accepted with its record", "[dns][reply]") {
  auto reply = parse_upstream_reply(kSimpleReply, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  CHECK(reply.answer.rcode == Rcode::NoError);
  REQUIRE(reply.answer.answers.size() == 1);
  const auto& record = reply.answer.answers[0];
  CHECK(record.name == DnsName::from_text("www.example.com"));
  CHECK(record.type == RrType::A);
  CHECK(record.klass == RrClass::IN);
  CHECK(record.ttl == 3600);
  CHECK(record.rdata == Bytes{192, 0, 2, 1});
  CHECK(reply.answer.authority.empty());
}

TEST_CASE("the echoed question is compared without regard to letter case", "[dns][reply]") {
  auto reply = parse_upstream_reply(kSimpleReply, kId, question_for("WWW.Example.COM"));
  CHECK(reply.status == ReplyStatus::Accepted);
}

TEST_CASE("a reply that is not ours or not an answer to our question is refused", "[dns][reply]") {
  struct Row {
    const char* what;
    Bytes datagram;
    ReplyStatus status;
  };
  auto row = GENERATE_COPY(
      Row{"shorter than a header", Bytes(kSimpleReply.begin(), kSimpleReply.begin() + 11),
          ReplyStatus::NotAReply},
      Row{"QR clear",
          cat({{0x42, 0x42, 0x01, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
               kQuestion,
               kAnswerA}),
          ReplyStatus::NotAReply},
      Row{"wrong ID",
          cat({{0x42, 0x43, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
               kQuestion,
               kAnswerA}),
          ReplyStatus::WrongId},
      Row{"no question",
          {0x42, 0x42, 0x81, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
          ReplyStatus::WrongQuestion},
      Row{"two questions",
          cat({{0x42, 0x42, 0x81, 0x80, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion,
               kQuestion}),
          ReplyStatus::WrongQuestion},
      Row{"different name",
          cat({header(1, 0, 0),
               {3,   'w', 'w', 'x', 7,   'e', 'x',  'a',  'm',  'p', 'l',
                'e', 3,   'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01},
               kAnswerA}),
          ReplyStatus::WrongQuestion},
      Row{"different type",
          cat({header(0, 0, 0), {3,   'w', 'w', 'w', 7,   'e', 'x',  'a',  'm',  'p', 'l',
                                 'e', 3,   'c', 'o', 'm', 0,   0x00, 0x1C, 0x00, 0x01}}),
          ReplyStatus::WrongQuestion},
      Row{"different class",
          cat({header(0, 0, 0), {3,   'w', 'w', 'w', 7,   'e', 'x',  'a',  'm',  'p', 'l',
                                 'e', 3,   'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x03}}),
          ReplyStatus::WrongQuestion},
      Row{"TC set",
          cat({{0x42, 0x42, 0x83, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion}),
          ReplyStatus::Truncated});
  CAPTURE(row.what);
  auto reply = parse_upstream_reply(row.datagram, kId, question_for("www.example.com"));
  CHECK(reply.status == row.status);
  if (row.status != ReplyStatus::Accepted) CHECK(reply.answer.answers.empty());
}

TEST_CASE("a reply that cannot be decoded is Malformed and keeps nothing", "[dns][reply]") {
  struct Row {
    const char* what;
    Bytes datagram;
  };
  auto row = GENERATE_COPY(
      Row{"question cut short",
          cat({header(0, 0, 0), Bytes(kQuestion.begin(), kQuestion.end() - 1)})},
      Row{"ANCOUNT larger than the records present", cat({header(2, 0, 0), kQuestion, kAnswerA})},
      Row{"rdlength beyond the end", cat({header(1, 0, 0),
                                          kQuestion,
                                          {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0E,
                                           0x10, 0x00, 0x05, 192, 0, 2, 1}})},
      Row{"owner with a forward pointer", cat({header(1, 0, 0),
                                               kQuestion,
                                               {0xC0, 0x40, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                                0x0E, 0x10, 0x00, 0x04, 192, 0, 2, 1}})},
      Row{"CNAME rdata that is not a name",
          cat({header(1, 0, 0),
               kQuestion,
               {0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x02, 5, 'a'}})},
      Row{"cut in the additional section",
          cat({header(1, 0, 1), kQuestion, kAnswerA, {0x00, 0x00}})});
  CAPTURE(row.what);
  auto reply = parse_upstream_reply(row.datagram, kId, question_for("www.example.com"));
  CHECK(reply.status == ReplyStatus::Malformed);
  CHECK(reply.answer.answers.empty());
  CHECK(reply.answer.authority.empty());
}

TEST_CASE("records for other names in the answer section are dropped", "[dns][reply]") {
  const Bytes evil{4,   'e', 'v', 'i', 'l', 7,   'e', 'x', 'a',
                   'm', 'p', 'l', 'e', 3,   'n', 'e', 't', 0};
  auto datagram =
      cat({header(3, 0, 0), kQuestion, a_record(evil, 66), kAnswerA, a_record(kExampleCom, 67)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 1);
  CHECK(reply.answer.answers[0].rdata == Bytes{192, 0, 2, 1});
}

TEST_CASE("records of other types at the question name are dropped", "[dns][reply]") {
  const Bytes aaaa{0xC0, 0x0C, 0x00, 0x1C, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C,
                   0x00, 0x10, 0x20, 0x01, 0x0D, 0xB8, 0,    0,    0,    0,
                   0,    0,    0,    0,    0,    0,    0,    1};
  auto reply = parse_upstream_reply(cat({header(2, 0, 0), kQuestion, aaaa, kAnswerA}), kId,
                                    question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 1);
  CHECK(reply.answer.answers[0].type == RrType::A);
}

TEST_CASE("the additional section is never kept, not even for the question name", "[dns][reply]") {
  const Bytes ns{2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
  auto datagram = cat({header(1, 0, 2), kQuestion, kAnswerA, a_record(ns, 53), a_record(kWww, 66)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 1);
  CHECK(reply.answer.answers[0].rdata == Bytes{192, 0, 2, 1});
  CHECK(reply.answer.authority.empty());
}

TEST_CASE("the authority section of a positive answer is not kept", "[dns][reply]") {
  auto datagram = cat({header(1, 1, 0), kQuestion, kAnswerA, soa_record(kExampleCom)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  CHECK(reply.answer.answers.size() == 1);
  CHECK(reply.answer.authority.empty());
}

TEST_CASE("a CNAME chain from the question name is followed and kept in order", "[dns][reply]") {
  // Listed out of order, with an unrelated record between.
  auto datagram = cat({header(3, 0, 0), kQuestion, a_record(kWebNet, 7), a_record(kExampleNet, 99),
                       cname_record({0xC0, 0x0C}, kWebNet)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 2);
  CHECK(reply.answer.answers[0].type == RrType::CNAME);
  CHECK(reply.answer.answers[0].name == DnsName::from_text("www.example.com"));
  CHECK(reply.answer.answers[0].rdata == kWebNet);
  CHECK(reply.answer.answers[1].type == RrType::A);
  CHECK(reply.answer.answers[1].name == DnsName::from_text("web.example.net"));
  CHECK(reply.answer.answers[1].rdata == Bytes{192, 0, 2, 7});
}

TEST_CASE("a question for CNAME gets the CNAME itself, not what it points to", "[dns][reply]") {
  const Bytes question{3,   'w', 'w', 'w', 7,   'e', 'x',  'a',  'm',  'p', 'l',
                       'e', 3,   'c', 'o', 'm', 0,   0x00, 0x05, 0x00, 0x01};
  auto datagram =
      cat({header(2, 0, 0), question, cname_record({0xC0, 0x0C}, kWebNet), a_record(kWebNet, 7)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com", RrType::CNAME));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 1);
  CHECK(reply.answer.answers[0].type == RrType::CNAME);
}

TEST_CASE("a CNAME loop is followed a bounded number of times and each record kept once",
          "[dns][reply]") {
  // www.example.com -> web.example.net -> www.example.com -> ...
  auto datagram = cat({header(2, 0, 0), kQuestion, cname_record({0xC0, 0x0C}, kWebNet),
                       cname_record(kWebNet, kWww)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 2);
  CHECK(reply.answer.answers[0].name == DnsName::from_text("www.example.com"));
  CHECK(reply.answer.answers[1].name == DnsName::from_text("web.example.net"));
}

TEST_CASE("a CNAME chain is followed for at most kMaxCnameChain links", "[dns][reply]") {
  // c0.x -> c1.x -> ... -> cN.x, then cN.x A.
  auto name = [](int i) { return Bytes{2, 'c', static_cast<std::uint8_t>('a' + i), 1, 'x', 0}; };
  auto chain = [&](int links) {
    Bytes records;
    for (int i = 0; i < links; ++i) {
      records = cat({records, cname_record(name(i), name(i + 1))});
    }
    records = cat({records, a_record(name(links), 5)});
    auto count = static_cast<std::uint8_t>(links + 1);
    return cat({header(count, 0, 0), name(0), {0x00, 0x01, 0x00, 0x01}, records});
  };
  Question question;
  question.name = DnsName::from_wire(std::string{2, 'c', 'a', 1, 'x', 0});

  auto full = parse_upstream_reply(chain(kMaxCnameChain), kId, question);
  REQUIRE(full.status == ReplyStatus::Accepted);
  CHECK(full.answer.answers.size() == static_cast<std::size_t>(kMaxCnameChain) + 1);
  CHECK(full.answer.answers.back().type == RrType::A);

  auto too_long = parse_upstream_reply(chain(20), kId, question);
  REQUIRE(too_long.status == ReplyStatus::Accepted);
  CHECK(too_long.answer.answers.size() <= static_cast<std::size_t>(kMaxCnameChain) + 1);
  CHECK(too_long.answer.answers.back().type == RrType::CNAME);
}

TEST_CASE("NXDOMAIN keeps a SOA whose owner is an ancestor of the name", "[dns][reply]") {
  auto datagram = cat({header(0, 1, 0, 0x83), kQuestion, soa_record({0xC0, 0x10})});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  CHECK(reply.answer.rcode == Rcode::NxDomain);
  CHECK(reply.answer.answers.empty());
  REQUIRE(reply.answer.authority.size() == 1);
  CHECK(reply.answer.authority[0].type == RrType::SOA);
  CHECK(reply.answer.authority[0].name == DnsName::from_text("example.com"));
  CHECK(negative_ttl(reply.answer.authority[0]) == 5);
}

TEST_CASE("NXDOMAIN drops a SOA for an unrelated zone", "[dns][reply]") {
  auto datagram = cat({header(0, 1, 0, 0x83), kQuestion, soa_record(kExampleNet)});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  CHECK(reply.answer.rcode == Rcode::NxDomain);
  CHECK(reply.answer.authority.empty());
}

TEST_CASE("NODATA keeps the SOA of the zone and no other authority record", "[dns][reply]") {
  const Bytes ns{0xC0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00,
                 0x00, 0x00, 0x3C, 0x00, 0x02, 0xC0, 0x0C};
  auto datagram = cat({header(0, 2, 0), kQuestion, ns, soa_record({0xC0, 0x10})});
  auto reply = parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  CHECK(reply.answer.rcode == Rcode::NoError);
  CHECK(reply.answer.answers.empty());
  REQUIRE(reply.answer.authority.size() == 1);
  CHECK(reply.answer.authority[0].type == RrType::SOA);
}

TEST_CASE("after a CNAME to a missing name the SOA must be an ancestor of the chain's end",
          "[dns][reply]") {
  auto reply_with_soa = [](const Bytes& soa_owner) {
    auto datagram = cat({header(1, 1, 0, 0x83), kQuestion, cname_record({0xC0, 0x0C}, kWebNet),
                         soa_record(soa_owner)});
    return parse_upstream_reply(datagram, kId, question_for("www.example.com"));
  };
  auto kept = reply_with_soa(kExampleNet);
  REQUIRE(kept.status == ReplyStatus::Accepted);
  CHECK(kept.answer.answers.size() == 1);
  CHECK(kept.answer.authority.size() == 1);

  auto dropped = reply_with_soa(kExampleCom);
  REQUIRE(dropped.status == ReplyStatus::Accepted);
  CHECK(dropped.answer.authority.empty());
}

TEST_CASE("compressed names in CNAME and SOA rdata are decompressed", "[dns][reply]") {
  SECTION("CNAME") {
    // www.example.com CNAME web + pointer to example.com (offset 16), then web.example.com A.
    const Bytes cname{0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00,
                      0x3C, 0x00, 0x06, 3,    'w',  'e',  'b',  0xC0, 0x10};
    // The A record's owner points at the CNAME's rdata (offset 33 + 12 = 45).
    const Bytes a{0xC0, 0x2D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                  0x00, 0x3C, 0x00, 0x04, 192,  0,    2,    8};
    auto reply = parse_upstream_reply(cat({header(2, 0, 0), kQuestion, cname, a}), kId,
                                      question_for("www.example.com"));
    REQUIRE(reply.status == ReplyStatus::Accepted);
    REQUIRE(reply.answer.answers.size() == 2);
    CHECK(reply.answer.answers[0].rdata ==
          Bytes{3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
    CHECK(reply.answer.answers[1].name == DnsName::from_text("web.example.com"));
  }
  SECTION("SOA") {
    // nx.example.com: "example.com" at offset 15.
    const Bytes question{2,   'n', 'x', 7,   'e', 'x', 'a',  'm',  'p',  'l',
                         'e', 3,   'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01};
    // clang-format off
    const Bytes soa{
        0xC0, 0x0F,                                                 // owner example.com
        0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x26,  // SOA IN 60, 38 bytes
        2, 'n', 's', 0xC0, 0x0F,                                    // MNAME ns + pointer
        10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xC0, 0x0F,  // RNAME
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,  // SERIAL .. MINIMUM
    };
    // clang-format on
    auto reply = parse_upstream_reply(cat({header(0, 1, 0, 0x83), question, soa}), kId,
                                      question_for("nx.example.com"));
    REQUIRE(reply.status == ReplyStatus::Accepted);
    REQUIRE(reply.answer.authority.size() == 1);
    auto fields = decode_soa(reply.answer.authority[0].rdata);
    CHECK(fields.mname.identical(DnsName::from_text("ns.example.com")));
    CHECK(fields.rname.identical(DnsName::from_text("hostmaster.example.com")));
    CHECK(fields.serial == 1);
    CHECK(fields.minimum == 5);
    CHECK(reply.answer.authority[0].rdata.size() == 16 + 24 + 20);
  }
}

TEST_CASE("a TTL with the most significant bit set is taken as 0 (RFC 2181 8)", "[dns][reply]") {
  struct Row {
    std::uint8_t high;  // first octet of the TTL
    std::uint32_t expected;
  };
  auto row = GENERATE(Row{0x80, 0}, Row{0xFF, 0}, Row{0x7F, 0x7F000001});
  const Bytes answer{0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, row.high, 0x00,
                     0x00, 0x01, 0x00, 0x04, 192,  0,    2,        1};
  auto reply = parse_upstream_reply(cat({header(1, 0, 0), kQuestion, answer}), kId,
                                    question_for("www.example.com"));
  REQUIRE(reply.status == ReplyStatus::Accepted);
  REQUIRE(reply.answer.answers.size() == 1);
  CHECK(reply.answer.answers[0].ttl == row.expected);
}

TEST_CASE("the parent's rcode is passed on, extended by its OPT", "[dns][reply]") {
  SECTION("SERVFAIL") {
    auto reply = parse_upstream_reply(cat({header(0, 0, 0, 0x82), kQuestion}), kId,
                                      question_for("www.example.com"));
    REQUIRE(reply.status == ReplyStatus::Accepted);
    CHECK(reply.answer.rcode == Rcode::ServFail);
  }
  SECTION("BADVERS from extended rcode 1 in the OPT") {
    const Bytes opt{0x00, 0x00, 0x29, 0x04, 0xD0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    auto reply = parse_upstream_reply(cat({header(0, 0, 1, 0x80), kQuestion, opt}), kId,
                                      question_for("www.example.com"));
    REQUIRE(reply.status == ReplyStatus::Accepted);
    CHECK(reply.answer.rcode == Rcode::BadVers);
  }
}

}  // namespace resolver::dns

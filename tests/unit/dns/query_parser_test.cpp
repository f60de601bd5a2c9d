// parse_query: what to do with a datagram that claims to be a query, checks in a fixed order.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "resolver/dns/query_parser.hpp"

#include "support/bytes.hpp"

namespace resolver::dns {
namespace {

using test_support::Bytes;
using test_support::cat;
using Action = QueryParse::Action;

// Headers (RFC 1035 4.1.1): ID 0x1234, then flags, QD, AN, NS, AR.
const Bytes kQueryHeader{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kQueryHeaderWithOpt{0x12, 0x34, 0x01, 0x00, 0x00, 0x01,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
const Bytes kQueryHeaderWithTwoOpt{0x12, 0x34, 0x01, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x02};

// ExAmple.com A IN
const Bytes kQuestion{7,   'E', 'x', 'A', 'm',  'p',  'l',  'e', 3,
                      'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01};
const Bytes kQuestionAxfr{7,   'e', 'x', 'a', 'm',  'p',  'l',  'e', 3,
                          'c', 'o', 'm', 0,   0x00, 0xFC, 0x00, 0x01};
const Bytes kQuestionIxfr{7,   'e', 'x', 'a', 'm',  'p',  'l',  'e', 3,
                          'c', 'o', 'm', 0,   0x00, 0xFB, 0x00, 0x01};
const Bytes kQuestionOptType{7,   'e', 'x', 'a', 'm',  'p',  'l',  'e', 3,
                             'c', 'o', 'm', 0,   0x00, 0x29, 0x00, 0x01};
const Bytes kQuestionChaos{7,   'v', 'e', 'r', 's', 'i',  'o',  'n',  4,
                           'b', 'i', 'n', 'd', 0,   0x00, 0x10, 0x00, 0x03};  // version.bind TXT CH

// OPT: root owner, type 41, UDP size 4096, extended rcode 0, version 0, DO set, no options.
const Bytes kOpt{0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
const Bytes kOptVersion1{0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
const Bytes kOptOwnedByX{0x01, 'x',  0x00, 0x00, 0x29, 0x10, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kOptCut{0x00, 0x00, 0x29, 0x10, 0x00, 0x00};

}  // namespace

TEST_CASE("a datagram shorter than a header is dropped", "[dns][query]") {
  auto size = GENERATE(0u, 1u, 11u);
  Bytes datagram(kQueryHeader.begin(), kQueryHeader.begin() + size);
  CHECK(parse_query(datagram).action == Action::Drop);
}

TEST_CASE("each malformed or unsupported query gets its action and rcode", "[dns][query]") {
  struct Row {
    const char* what;
    Bytes datagram;
    Action action;
    Rcode rcode;
  };
  auto row = GENERATE_COPY(
      Row{"QR set: a response, possibly reflected",
          cat({{0x12, 0x34, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion}),
          Action::Drop, Rcode::NoError},
      Row{"opcode 2 (STATUS)",
          cat({{0x12, 0x34, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion}),
          Action::Reject, Rcode::NotImp},
      Row{"opcode 5 (UPDATE)",
          cat({{0x12, 0x34, 0x28, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion}),
          Action::Reject, Rcode::NotImp},
      Row{"QDCOUNT 0",
          {0x12, 0x34, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
          Action::Reject,
          Rcode::FormErr},
      Row{"QDCOUNT 2",
          cat({{0x12, 0x34, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion,
               kQuestion}),
          Action::Reject, Rcode::FormErr},
      Row{"question cut before its class",
          cat({kQueryHeader,
               {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00}}),
          Action::Reject, Rcode::FormErr},
      Row{"question name with a forward pointer",
          cat({kQueryHeader, {0xC0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00}}), Action::Reject,
          Rcode::FormErr},
      Row{"AXFR over UDP", cat({kQueryHeader, kQuestionAxfr}), Action::Reject, Rcode::NotImp},
      Row{"IXFR over UDP", cat({kQueryHeader, kQuestionIxfr}), Action::Reject, Rcode::NotImp},
      Row{"OPT as the question type", cat({kQueryHeader, kQuestionOptType}), Action::Reject,
          Rcode::FormErr},
      Row{"class CH", cat({kQueryHeader, kQuestionChaos}), Action::Reject, Rcode::Refused},
      Row{"two OPT records", cat({kQueryHeaderWithTwoOpt, kQuestion, kOpt, kOpt}), Action::Reject,
          Rcode::FormErr},
      Row{"OPT with a non-root owner", cat({kQueryHeaderWithOpt, kQuestion, kOptOwnedByX}),
          Action::Reject, Rcode::FormErr},
      Row{"OPT cut short", cat({kQueryHeaderWithOpt, kQuestion, kOptCut}), Action::Reject,
          Rcode::FormErr},
      Row{"ARCOUNT larger than the records present", cat({kQueryHeaderWithTwoOpt, kQuestion, kOpt}),
          Action::Reject, Rcode::FormErr},
      Row{"EDNS version 1", cat({kQueryHeaderWithOpt, kQuestion, kOptVersion1}), Action::Reject,
          Rcode::BadVers});
  CAPTURE(row.what);
  auto parse = parse_query(row.datagram);
  CHECK(parse.action == row.action);
  if (row.action == Action::Reject) {
    CHECK(parse.rcode == row.rcode);
    CHECK(parse.query.header.id == 0x1234);  // the error reply needs it
  }
}

TEST_CASE("earlier checks win over later ones when a query has several faults", "[dns][query]") {
  struct Row {
    const char* what;
    Bytes datagram;
    Action action;
    Rcode rcode;
  };
  auto row = GENERATE_COPY(
      Row{"QR set beats a bad opcode",
          cat({{0x12, 0x34, 0x91, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestion}),
          Action::Drop, Rcode::NoError},
      Row{"a bad opcode beats QDCOUNT 0",
          {0x12, 0x34, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
          Action::Reject,
          Rcode::NotImp},
      Row{"QDCOUNT 2 beats AXFR",
          cat({{0x12, 0x34, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kQuestionAxfr,
               kQuestionAxfr}),
          Action::Reject, Rcode::FormErr},
      Row{"AXFR beats class CH",
          cat({kQueryHeader, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0xFC, 0x00, 0x03}}),
          Action::Reject, Rcode::NotImp},
      Row{"AXFR beats two OPT records", cat({kQueryHeaderWithTwoOpt, kQuestionAxfr, kOpt, kOpt}),
          Action::Reject, Rcode::NotImp},
      Row{"class CH beats two OPT records",
          cat({kQueryHeaderWithTwoOpt, kQuestionChaos, kOpt, kOpt}), Action::Reject,
          Rcode::Refused},
      Row{"class CH beats EDNS version 1", cat({kQueryHeaderWithOpt, kQuestionChaos, kOptVersion1}),
          Action::Reject, Rcode::Refused},
      Row{"a malformed OPT beats EDNS version 1",
          cat({kQueryHeaderWithTwoOpt, kQuestion, kOptVersion1, kOptVersion1}), Action::Reject,
          Rcode::FormErr});
  CAPTURE(row.what);
  auto parse = parse_query(row.datagram);
  CHECK(parse.action == row.action);
  if (row.action == Action::Reject) CHECK(parse.rcode == row.rcode);
}

TEST_CASE("a rejected query keeps its OPT so the error reply can carry one", "[dns][query]") {
  SECTION("refused class") {
    auto parse = parse_query(cat({kQueryHeaderWithOpt, kQuestionChaos, kOpt}));
    REQUIRE(parse.action == Action::Reject);
    CHECK(parse.rcode == Rcode::Refused);
    CHECK(parse.query.edns.has_value());
  }
  SECTION("bad version") {
    auto parse = parse_query(cat({kQueryHeaderWithOpt, kQuestion, kOptVersion1}));
    REQUIRE(parse.action == Action::Reject);
    REQUIRE(parse.query.edns.has_value());
    CHECK(parse.query.edns->version == 1);
    CHECK(parse.query.has_question);
  }
}

TEST_CASE("a good query without OPT is answered and has no EDNS", "[dns][query]") {
  auto parse = parse_query(cat({kQueryHeader, kQuestion}));
  REQUIRE(parse.action == Action::Answer);
  const auto& query = parse.query;
  CHECK(query.header.id == 0x1234);
  CHECK(query.header.rd);
  CHECK_FALSE(query.header.qr);
  CHECK(query.header.opcode == 0);
  REQUIRE(query.has_question);
  CHECK(query.question.name.identical(DnsName::from_text("ExAmple.com")));  // case kept
  CHECK(query.question.type == RrType::A);
  CHECK(query.question.klass == RrClass::IN);
  CHECK_FALSE(query.edns.has_value());
}

TEST_CASE("a good query with OPT is answered with the EDNS fields read", "[dns][query]") {
  auto parse = parse_query(cat({kQueryHeaderWithOpt, kQuestion, kOpt}));
  REQUIRE(parse.action == Action::Answer);
  REQUIRE(parse.query.edns.has_value());
  CHECK(parse.query.edns->udp_size == 4096);
  CHECK(parse.query.edns->version == 0);
  CHECK(parse.query.edns->extended_rcode == 0);
  CHECK(parse.query.edns->dnssec_ok);
}

TEST_CASE("an OPT with options is read and its options skipped", "[dns][query]") {
  // OPT with one option: code 10 (COOKIE), length 8.
  const Bytes opt{0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x00,
                  0x0A, 0x00, 0x08, 1,    2,    3,    4,    5,    6,    7,    8};
  auto parse = parse_query(cat({kQueryHeaderWithOpt, kQuestion, opt}));
  REQUIRE(parse.action == Action::Answer);
  REQUIRE(parse.query.edns.has_value());
  CHECK(parse.query.edns->udp_size == 1232);
  CHECK_FALSE(parse.query.edns->dnssec_ok);
}

TEST_CASE("other additional records beside the OPT are skipped", "[dns][query]") {
  // An A record for the root in the additional section, then the OPT.
  const Bytes other{0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04, 1, 2, 3, 4};
  auto parse = parse_query(cat({kQueryHeaderWithTwoOpt, kQuestion, other, kOpt}));
  REQUIRE(parse.action == Action::Answer);
  CHECK(parse.query.edns.has_value());
}

TEST_CASE("a query for type ANY is answered", "[dns][query]") {
  const Bytes any{1, 'a', 0, 0x00, 0xFF, 0x00, 0x01};
  auto parse = parse_query(cat({kQueryHeader, any}));
  REQUIRE(parse.action == Action::Answer);
  CHECK(parse.query.question.type == RrType::ANY);
}

TEST_CASE("trailing bytes after a query are ignored", "[dns][query]") {
  auto parse = parse_query(cat({kQueryHeader, kQuestion, {0xDE, 0xAD}}));
  CHECK(parse.action == Action::Answer);
}

}  // namespace resolver::dns

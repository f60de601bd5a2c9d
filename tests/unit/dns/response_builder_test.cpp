// build_response / build_error_response / build_query: byte-exact replies (RFC 1035 4.1).
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "resolver/dns/rdata.hpp"
#include "resolver/dns/response_builder.hpp"

#include "support/bytes.hpp"
#include "support/records.hpp"

namespace resolver::dns {
namespace {

using test_support::address_record;
using test_support::Bytes;
using test_support::cat;

// WwW.Example.COM A IN, as a client with mixed case would send it.
const Bytes kMixedCaseQuestion{3,   'W', 'w', 'W', 7,   'E', 'x',  'a',  'm',  'p', 'l',
                               'e', 3,   'C', 'O', 'M', 0,   0x00, 0x01, 0x00, 0x01};
// example.com A IN
const Bytes kExampleQuestion{7,   'e', 'x', 'a', 'm',  'p',  'l',  'e', 3,
                             'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01};
// ID 0xBEEF, RD, QDCOUNT 1, ARCOUNT 0 or 1.
const Bytes kHeader{0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kHeaderWithOpt{0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
// OPT from the client: UDP size 4096, DO set.
const Bytes kClientOpt{0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
// OPT in our replies: UDP size 1232, everything else zero.
const Bytes kReplyOpt{0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

Query parsed_query(const Bytes& datagram) {
  auto parse = parse_query(datagram);
  REQUIRE(parse.action == QueryParse::Action::Answer);
  return parse.query;
}

QueryParse rejected_query(const Bytes& datagram) {
  auto parse = parse_query(datagram);
  REQUIRE(parse.action == QueryParse::Action::Reject);
  return parse;
}

// <owner> A 192.0.2.<last_octet>
ResourceRecord a_record(const char* owner, std::uint32_t ttl, std::uint8_t last_octet) {
  return address_record(owner, "192.0.2." + std::to_string(last_octet), ttl);
}

Bytes build(const Query& query, const Answer& answer, bool recursion_available,
            std::size_t buffer_size = 4096) {
  Bytes buffer(buffer_size, 0xEE);
  auto size = build_response(query, answer, ResponseFlags{recursion_available}, buffer);
  buffer.resize(size);
  return buffer;
}

Bytes build_error(const QueryParse& parse, bool recursion_available) {
  Bytes buffer(4096, 0xEE);
  auto size = build_error_response(parse, ResponseFlags{recursion_available}, buffer);
  buffer.resize(size);
  return buffer;
}

}  // namespace

TEST_CASE("a simple A answer is written byte for byte with the owner compressed to 0xC00C",
          "[dns][builder]") {
  auto query = parsed_query(cat({kHeader, kMixedCaseQuestion}));
  Answer answer;
  answer.authoritative = true;
  answer.answers.push_back(a_record("www.example.com", 300, 1));

  // clang-format off
  const Bytes expected = cat({
      {0xBE, 0xEF,              // ID echoed
       0x85, 0x80,              // QR, AA, RD echoed, RA; NOERROR
       0x00, 0x01, 0x00, 0x01,  // QDCOUNT 1, ANCOUNT 1
       0x00, 0x00, 0x00, 0x00},
      kMixedCaseQuestion,  // the client's letter case survives
      {0xC0, 0x0C,               // owner: pointer to the question name
       0x00, 0x01, 0x00, 0x01,   // A IN
       0x00, 0x00, 0x01, 0x2C,   // TTL 300
       0x00, 0x04, 192, 0, 2, 1}  // 192.0.2.1
  });
  // clang-format on
  CHECK(build(query, answer, true) == expected);
}

TEST_CASE("an OPT with UDP size 1232 is in the reply exactly when the query had one",
          "[dns][builder]") {
  Answer answer;
  answer.answers.push_back(a_record("example.com", 60, 9));
  const Bytes record{0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                     0x00, 0x3C, 0x00, 0x04, 192,  0,    2,    9};

  SECTION("query without OPT") {
    auto query = parsed_query(cat({kHeader, kExampleQuestion}));
    CHECK(build(query, answer, false) ==
          cat({{0xBE, 0xEF, 0x81, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
               kExampleQuestion,
               record}));
  }
  SECTION("query with OPT") {
    auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
    CHECK(build(query, answer, false) ==
          cat({{0xBE, 0xEF, 0x81, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01},
               kExampleQuestion,
               record,
               kReplyOpt}));
  }
}

TEST_CASE("an owner other than the question name is written in full", "[dns][builder]") {
  auto query = parsed_query(cat({kHeader, kMixedCaseQuestion}));
  Answer answer;
  ResourceRecord cname;
  cname.name = DnsName::from_text("www.example.com");
  cname.type = RrType::CNAME;
  cname.ttl = 60;
  cname.rdata = {3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
  answer.answers.push_back(cname);
  answer.answers.push_back(a_record("web.example.net", 60, 7));

  const Bytes expected = cat({
      {0xBE, 0xEF, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00},
      kMixedCaseQuestion,
      {0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x11},
      cname.rdata,
      {3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0},
      {0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04, 192, 0, 2, 7},
  });
  CHECK(build(query, answer, true) == expected);
}

TEST_CASE("an NXDOMAIN reply carries the SOA in the authority section", "[dns][builder]") {
  const Bytes question{2,   'n', 'x', 7,   'e', 'x', 'a',  'm',  'p',  'l',
                       'e', 3,   'c', 'o', 'm', 0,   0x00, 0x01, 0x00, 0x01};
  auto query = parsed_query(cat({kHeader, question}));
  SoaFields soa;
  soa.mname = DnsName::from_text("a");
  soa.rname = DnsName::from_text("b");
  soa.serial = 1;
  soa.refresh = 2;
  soa.retry = 3;
  soa.expire = 4;
  soa.minimum = 5;
  ResourceRecord record;
  record.name = DnsName::from_text("example.com");
  record.type = RrType::SOA;
  record.ttl = 60;
  record.rdata = encode_soa(soa);
  Answer answer;
  answer.rcode = Rcode::NxDomain;
  answer.authoritative = true;
  answer.authority.push_back(record);

  // clang-format off
  const Bytes expected = cat({
      {0xBE, 0xEF, 0x85, 0x83,  // QR AA RD RA, NXDOMAIN
       0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00},
      question,
      {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,  // not the question name
       0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x1A,  // SOA IN 60, 26 bytes
       1, 'a', 0, 1, 'b', 0,                                        // MNAME, RNAME
       0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5},
  });
  // clang-format on
  CHECK(build(query, answer, true) == expected);
}

TEST_CASE("an answer too big for 512 bytes without EDNS sets TC and drops every record",
          "[dns][builder]") {
  // 40 A records of 16 bytes each: 669 bytes without OPT, 680 with it.
  Answer answer;
  answer.authoritative = true;
  for (int i = 0; i < 40; ++i) {
    answer.answers.push_back(a_record("example.com", 60, static_cast<std::uint8_t>(i)));
  }

  SECTION("without EDNS the reply is cut to the question") {
    auto query = parsed_query(cat({kHeader, kExampleQuestion}));
    // clang-format off
    CHECK(build(query, answer, false) ==
          cat({{0xBE, 0xEF, 0x87, 0x00,  // QR AA TC RD
                0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               kExampleQuestion}));
    // clang-format on
  }
  SECTION("with EDNS the same answer fits 1232 bytes") {
    auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
    auto reply = build(query, answer, false);
    REQUIRE(reply.size() == 680);
    CHECK(Bytes(reply.begin(), reply.begin() + 12) ==
          Bytes{0xBE, 0xEF, 0x85, 0x00, 0x00, 0x01, 0x00, 0x28, 0x00, 0x00, 0x00, 0x01});
    CHECK(Bytes(reply.end() - 11, reply.end()) == kReplyOpt);
  }
  SECTION("with an EDNS size of 512 the reply is cut but keeps its OPT") {
    const Bytes small_opt{0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, small_opt}));
    CHECK(build(query, answer, false) ==
          cat({{0xBE, 0xEF, 0x87, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},
               kExampleQuestion,
               kReplyOpt}));
  }
  SECTION("the caller's buffer limits the reply too") {
    auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
    auto reply = build(query, answer, false, 100);
    REQUIRE(reply.size() == 40);
    CHECK(reply[2] == 0x87);
    CHECK(reply[7] == 0x00);  // ANCOUNT 0
  }
}

TEST_CASE("the usable reply size is 512 without EDNS and the client's size within [512, 1232]",
          "[dns][builder]") {
  struct Row {
    std::optional<std::uint16_t> udp_size;
    std::size_t expected;
  };
  auto row = GENERATE(Row{std::nullopt, 512}, Row{0, 512}, Row{100, 512}, Row{512, 512},
                      Row{1000, 1000}, Row{1232, 1232}, Row{4096, 1232}, Row{65535, 1232});
  Query query;
  if (row.udp_size) {
    query.edns = Edns{};
    query.edns->udp_size = *row.udp_size;
  }
  CHECK(max_response_size(query) == row.expected);
}

TEST_CASE("BADVERS travels as extended rcode 1 in the reply's OPT", "[dns][builder]") {
  const Bytes version1{0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  auto parse = rejected_query(cat({kHeaderWithOpt, kExampleQuestion, version1}));
  REQUIRE(parse.rcode == Rcode::BadVers);
  // clang-format off
  CHECK(build_error(parse, true) ==
        cat({{0xBE, 0xEF, 0x81, 0x80,  // QR RD RA, low four bits of 16 = 0
              0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},
             kExampleQuestion,
             {0x00, 0x00, 0x29, 0x04, 0xD0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}}));
  // clang-format on
}

TEST_CASE("a BADVERS reply carries an OPT even when the parse lost the query's OPT",
          "[dns][builder]") {
  QueryParse parse;
  parse.action = QueryParse::Action::Reject;
  parse.rcode = Rcode::BadVers;
  parse.query.header.id = 7;
  CHECK(build_error(parse, false) == Bytes{0x00, 0x07, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
                                           0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04,
                                           0xD0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00});
}

TEST_CASE("error replies echo what was read of the query and no records", "[dns][builder]") {
  SECTION("FORMERR for QDCOUNT 0 has no question") {
    auto parse =
        rejected_query({0xBE, 0xEF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
    CHECK(build_error(parse, false) ==
          Bytes{0xBE, 0xEF, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  }
  SECTION("NOTIMP for opcode STATUS echoes the opcode") {
    auto parse = rejected_query(
        cat({{0xBE, 0xEF, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
             kExampleQuestion}));
    CHECK(build_error(parse, false) ==
          Bytes{0xBE, 0xEF, 0x91, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  }
  SECTION("REFUSED for class CH echoes the question and the OPT") {
    const Bytes chaos{1, 'x', 0, 0x00, 0x10, 0x00, 0x03};
    auto parse = rejected_query(cat({kHeaderWithOpt, chaos, kClientOpt}));
    CHECK(build_error(parse, true) ==
          cat({{0xBE, 0xEF, 0x81, 0x85, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},
               chaos,
               kReplyOpt}));
  }
}

TEST_CASE("a buffer that cannot hold a header gets nothing written", "[dns][builder]") {
  auto query = parsed_query(cat({kHeader, kExampleQuestion}));
  CHECK(build(query, Answer{}, false, 11).empty());
}

TEST_CASE("build_query writes a recursive query with an OPT advertising 1232 bytes",
          "[dns][builder]") {
  Question question;
  question.name = DnsName::from_text("Example.com");
  question.type = RrType::AAAA;
  std::array<std::uint8_t, 512> buffer{};
  auto size = build_query(question, 0xABCD, true, buffer);
  const Bytes expected{0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x01, 7,    'E',  'x',  'a',  'm',  'p',  'l',  'e',
                       3,    'c',  'o',  'm',  0,    0x00, 0x1C, 0x00, 0x01, 0x00,
                       0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size)) == expected);
}

TEST_CASE("a query from build_query is accepted by parse_query unchanged", "[dns][builder]") {
  struct Row {
    const char* name;
    RrType type;
    std::uint16_t id;
    bool recursion_desired;
  };
  auto row = GENERATE(Row{"example.com", RrType::A, 0, true},
                      Row{"WWW.Example.Org", RrType::AAAA, 0xFFFF, false},
                      Row{".", RrType::NS, 0x1234, true}, Row{"a.b.c.d.e", RrType::MX, 1, true},
                      Row{"x", RrType{65280}, 0x8000, false});
  CAPTURE(row.name);
  Question question;
  question.name = DnsName::from_text(row.name);
  question.type = row.type;
  std::array<std::uint8_t, 512> buffer{};
  auto size = build_query(question, row.id, row.recursion_desired, buffer);
  REQUIRE(size > 0);
  auto parse = parse_query(std::span(buffer).first(size));
  REQUIRE(parse.action == QueryParse::Action::Answer);
  CHECK(parse.query.header.id == row.id);
  CHECK(parse.query.header.rd == row.recursion_desired);
  CHECK(parse.query.question.name.identical(question.name));
  CHECK(parse.query.question.type == row.type);
  CHECK(parse.query.question.klass == RrClass::IN);
  REQUIRE(parse.query.edns.has_value());
  CHECK(parse.query.edns->udp_size == kEdnsUdpSize);
  CHECK(parse.query.edns->version == 0);
}

TEST_CASE("build_query returns 0 when the buffer is too small", "[dns][builder]") {
  Question question;
  question.name = DnsName::from_text("example.com");
  std::array<std::uint8_t, 30> buffer{};
  CHECK(build_query(question, 1, true, buffer) == 0);
}

TEST_CASE("an answer with an extended error gets an OPT holding exactly the EDE option",
          "[dns][builder][ede]") {
  auto info_code = GENERATE(std::uint16_t{3}, std::uint16_t{0}, std::uint16_t{22},
                            std::uint16_t{0x1234}, std::uint16_t{0xFFFF});
  CAPTURE(info_code);
  auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
  Answer answer;
  answer.answers.push_back(a_record("example.com", 30, 9));
  answer.extended_error = info_code;

  const auto high = static_cast<std::uint8_t>(info_code >> 8);
  const auto low = static_cast<std::uint8_t>(info_code & 0xFF);
  // clang-format off
  const Bytes expected = cat({
      {0xBE, 0xEF, 0x81, 0x00,  // QR RD, NOERROR
       0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01},
      kExampleQuestion,
      {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00, 0x04, 192, 0, 2, 9},
      {0x00,                    // OPT owner: the root
       0x00, 0x29,              // type OPT
       0x04, 0xD0,              // UDP size 1232
       0x00, 0x00, 0x00, 0x00,  // extended rcode, version, flags
       0x00, 0x06,              // RDLENGTH: one option of 4 + 2 bytes
       0x00, 0x0F,              // OPTION-CODE 15, Extended DNS Error (RFC 8914 2)
       0x00, 0x02,              // OPTION-LENGTH: the INFO-CODE, no EXTRA-TEXT
       high, low},              // INFO-CODE
  });
  // clang-format on
  CHECK(build(query, answer, false) == expected);
}

TEST_CASE("a stale answer's EDE reads as INFO-CODE 3, Stale Answer", "[dns][builder][ede]") {
  auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
  Answer answer;
  answer.answers.push_back(a_record("example.com", 30, 9));
  answer.extended_error = kEdeStaleAnswer;
  auto reply = build(query, answer, true);
  REQUIRE(reply.size() >= 17);
  CHECK(Bytes(reply.end() - 17, reply.end()) == Bytes{0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00,
                                                      0x00, 0x00, 0x00, 0x06, 0x00, 0x0F, 0x00,
                                                      0x02, 0x00, 0x03});
}

TEST_CASE("without EDNS in the query there is no OPT and no EDE, extended error or not",
          "[dns][builder][ede]") {
  auto query = parsed_query(cat({kHeader, kExampleQuestion}));
  Answer plain;
  plain.answers.push_back(a_record("example.com", 30, 9));
  Answer marked = plain;
  marked.extended_error = kEdeStaleAnswer;

  const Bytes expected =
      cat({{0xBE, 0xEF, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
           kExampleQuestion,
           {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00, 0x04, 192, 0, 2, 9}});
  CHECK(build(query, plain, true) == expected);
  CHECK(build(query, marked, true) == expected);
}

TEST_CASE("without an extended error the OPT has no options", "[dns][builder][ede]") {
  auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, kClientOpt}));
  Answer answer;
  answer.answers.push_back(a_record("example.com", 30, 9));
  auto reply = build(query, answer, false);
  REQUIRE(reply.size() >= kReplyOpt.size());
  CHECK(Bytes(reply.end() - static_cast<std::ptrdiff_t>(kReplyOpt.size()), reply.end()) ==
        kReplyOpt);
}

TEST_CASE("a truncated reply keeps its EDE in the OPT", "[dns][builder][ede]") {
  const Bytes small_opt{0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  auto query = parsed_query(cat({kHeaderWithOpt, kExampleQuestion, small_opt}));
  Answer answer;
  for (int i = 0; i < 40; ++i) {
    answer.answers.push_back(a_record("example.com", 30, static_cast<std::uint8_t>(i)));
  }
  answer.extended_error = kEdeStaleAnswer;
  CHECK(build(query, answer, false) ==
        cat({{0xBE, 0xEF, 0x83, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},
             kExampleQuestion,
             {0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0F, 0x00,
              0x02, 0x00, 0x03}}));
}

}  // namespace resolver::dns

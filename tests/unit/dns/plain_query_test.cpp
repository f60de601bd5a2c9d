// read_plain_query / write_plain_answer: the hit path's codec must accept only what the general
// path (parse_query + build_response) answers, and then write the very same bytes.
#include "resolver/dns/plain_query.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"

#include "support/bytes.hpp"
#include "support/records.hpp"

namespace resolver::dns {
namespace {

using test_support::address_record;
using test_support::Bytes;
using test_support::cat;

// WwW.Example.COM, then type and class.
const Bytes kMixedCaseName{3,   'W', 'w', 'W', 7,   'E', 'x', 'a', 'm',
                           'p', 'l', 'e', 3,   'C', 'O', 'M', 0};
const Bytes kTypeA_IN{0x00, 0x01, 0x00, 0x01};
// ID 0xBEEF, RD and CD set, QDCOUNT 1, ARCOUNT 0 or 1.
const Bytes kHeader{0xBE, 0xEF, 0x01, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kHeaderWithOpt{0xBE, 0xEF, 0x01, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
// OPT as dig sends it: UDP size 1232, DO clear, one 12-byte COOKIE option.
const Bytes kDigOpt{0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x00,
                    0x0A, 0x00, 0x08, 1,    2,    3,    4,    5,    6,    7,    8};

// www.example.com A 192.0.2.<last_octet>
ResourceRecord a_record(std::uint8_t last_octet, std::uint32_t ttl = 60) {
  return address_record("www.example.com", "192.0.2." + std::to_string(last_octet), ttl);
}

// A record as LocalRecords keeps it: written after a question so that its owner is 0xC00C.
Bytes encoded(const ResourceRecord& record) {
  Bytes buffer(600);
  WireWriter writer(buffer);
  Header{}.write(writer);
  Question question{record.name, record.type, RrClass::IN};
  question.write(writer);
  std::size_t start = writer.size();
  write_record(writer, record, &question.name);
  REQUIRE_FALSE(writer.overflowed());
  return Bytes(buffer.begin() + static_cast<std::ptrdiff_t>(start),
               buffer.begin() + static_cast<std::ptrdiff_t>(writer.size()));
}

Bytes general_reply(const Bytes& datagram, const std::vector<ResourceRecord>& records, bool ra) {
  auto parse = parse_query(datagram);
  REQUIRE(parse.action == QueryParse::Action::Answer);
  Answer answer;
  answer.authoritative = true;
  answer.answers = records;
  Bytes out(4096);
  out.resize(build_response(parse.query, answer, ResponseFlags{ra}, out));
  return out;
}

Bytes plain_reply(const Bytes& datagram, const std::vector<ResourceRecord>& records, bool ra) {
  auto query = read_plain_query(datagram);
  REQUIRE(query);
  std::vector<Bytes> wires;
  for (const auto& record : records) wires.push_back(encoded(record));
  std::vector<std::span<const std::uint8_t>> spans(wires.begin(), wires.end());
  Bytes out(4096);
  out.resize(write_plain_answer(*query, spans, ResponseFlags{ra}, out));
  return out;
}

}  // namespace

TEST_CASE("a plain query's answer is byte for byte the general path's", "[dns][plain]") {
  auto with_opt = GENERATE(false, true);
  auto recursion_available = GENERATE(false, true);
  Bytes datagram = with_opt ? cat({kHeaderWithOpt, kMixedCaseName, kTypeA_IN, kDigOpt})
                            : cat({kHeader, kMixedCaseName, kTypeA_IN});
  std::vector<ResourceRecord> records{a_record(1), a_record(2, 3600), a_record(3, 0)};
  CAPTURE(with_opt, recursion_available);
  CHECK(plain_reply(datagram, records, recursion_available) ==
        general_reply(datagram, records, recursion_available));
}

TEST_CASE("a plain answer keeps the client's letter case, ID, RD and CD", "[dns][plain]") {
  Bytes datagram = cat({kHeader, kMixedCaseName, kTypeA_IN});
  datagram[2] = 0x00;  // RD clear
  datagram[3] = 0x00;  // CD clear
  auto reply = plain_reply(datagram, {a_record(7)}, false);
  REQUIRE(reply.size() == datagram.size() + 16);
  CHECK(reply[0] == 0xBE);
  CHECK(reply[1] == 0xEF);
  CHECK(reply[2] == 0x84);  // QR, AA
  CHECK(reply[3] == 0x00);
  CHECK(Bytes(reply.begin() + 12, reply.begin() + 29) == kMixedCaseName);
  CHECK(reply == general_reply(datagram, {a_record(7)}, false));
}

TEST_CASE("a plain query's name is lower-cased for the lookup", "[dns][plain]") {
  Bytes datagram = cat({kHeader, kMixedCaseName, kTypeA_IN});
  auto query = read_plain_query(datagram);  // views into `datagram`
  REQUIRE(query);
  std::array<std::uint8_t, DnsName::kMaxWireLength> buffer{};
  auto key = query->lowercase_name(buffer);
  CHECK(std::string(key.begin(), key.end()) == DnsName::from_text("www.example.com").key());
  CHECK(query->type == RrType::A);
  CHECK_FALSE(query->edns_udp_size);
}

TEST_CASE("a plain answer that does not fit the client's UDP size is left to the general path",
          "[dns][plain]") {
  std::vector<ResourceRecord> many;
  for (std::uint8_t i = 0; i < 40; ++i) many.push_back(a_record(i));  // 40 * 16 bytes > 512
  CHECK(plain_reply(cat({kHeader, kMixedCaseName, kTypeA_IN}), many, false).empty());
  // With EDNS the client's 1232 bytes hold them.
  CHECK(plain_reply(cat({kHeaderWithOpt, kMixedCaseName, kTypeA_IN, kDigOpt}), many, false).size() >
        512);
}

TEST_CASE("queries of any other shape are not plain", "[dns][plain]") {
  auto plain = cat({kHeader, kMixedCaseName, kTypeA_IN});
  auto with_opt = cat({kHeaderWithOpt, kMixedCaseName, kTypeA_IN, kDigOpt});
  std::size_t opt = plain.size();  // where the OPT starts in `with_opt`
  struct Case {
    const char* what;
    Bytes datagram;
  };
  auto changed = [](Bytes bytes, std::size_t at, std::uint8_t value) {
    bytes[at] = value;
    return bytes;
  };
  std::vector<Case> cases{
      {"shorter than a header", Bytes(plain.begin(), plain.begin() + 11)},
      {"a response (QR set)", changed(plain, 2, 0x81)},
      {"opcode NOTIFY", changed(plain, 2, 0x20)},
      {"two questions", changed(plain, 5, 2)},
      {"no question", changed(plain, 5, 0)},
      {"an answer record", changed(plain, 7, 1)},
      {"an authority record", changed(plain, 9, 1)},
      {"two additional records", changed(with_opt, 11, 2)},
      {"class CH", changed(plain, plain.size() - 1, 3)},
      {"type ANY", changed(plain, plain.size() - 3, 255)},
      {"type AXFR", changed(plain, plain.size() - 3, 252)},
      {"type OPT", changed(plain, plain.size() - 3, 41)},
      {"a compressed name", cat({kHeader, {0xC0, 0x00}, kTypeA_IN})},
      {"a label longer than 63", changed(plain, 12, 64)},
      {"a name running past the end", Bytes(plain.begin(), plain.begin() + 20)},
      {"no room for type and class", Bytes(plain.begin(), plain.end() - 1)},
      {"EDNS version 1", changed(with_opt, opt + 6, 1)},
      {"an OPT with a name", changed(with_opt, opt, 1)},
      {"an additional record that is not OPT", changed(with_opt, opt + 2, 1)},
      {"an OPT whose options run past the end", Bytes(with_opt.begin(), with_opt.end() - 1)},
      {"an OPT cut short",
       Bytes(with_opt.begin(), with_opt.begin() + static_cast<std::ptrdiff_t>(opt) + 5)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK_FALSE(read_plain_query(c.datagram));
  }
}

TEST_CASE("a name of 255 octets is plain and one of 256 is not", "[dns][plain]") {
  auto name_of = [](std::size_t wire_length) {
    Bytes name;
    std::size_t left = wire_length - 1;  // the root label
    while (left > 0) {
      std::size_t label = std::min<std::size_t>(63, left - 1);
      name.push_back(static_cast<std::uint8_t>(label));
      name.insert(name.end(), label, 'a');
      left -= label + 1;
    }
    name.push_back(0);
    return name;
  };
  CHECK(read_plain_query(cat({kHeader, name_of(255), kTypeA_IN})));
  CHECK_FALSE(read_plain_query(cat({kHeader, name_of(256), kTypeA_IN})));
  // The general path agrees on both.
  CHECK(parse_query(cat({kHeader, name_of(255), kTypeA_IN})).action == QueryParse::Action::Answer);
  CHECK(parse_query(cat({kHeader, name_of(256), kTypeA_IN})).action != QueryParse::Action::Answer);
}

}  // namespace resolver::dns

// WireReader / WireWriter bounds, and the message parts built on them (header, record, SOA).
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver/dns/message.hpp"
#include "resolver/dns/rdata.hpp"
#include "resolver/dns/wire_reader.hpp"
#include "resolver/dns/wire_writer.hpp"

namespace resolver::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes to_bytes(std::span<const std::uint8_t> span) {
  return Bytes(span.begin(), span.end());
}

}  // namespace

TEST_CASE("WireReader reads big-endian integers and advances past them", "[dns][wire]") {
  const Bytes message{0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0};
  WireReader reader(message);
  CHECK(reader.u8() == 0x12);
  CHECK(reader.u16() == 0x3456);
  CHECK(reader.u32() == 0x789ABCDEu);
  CHECK(reader.offset() == 7);
  CHECK(reader.remaining() == 1);
  CHECK(reader.u8() == 0xF0);
  CHECK(reader.remaining() == 0);
}

TEST_CASE("WireReader bytes() returns a view into the message, not a copy", "[dns][wire]") {
  const Bytes message{1, 2, 3, 4};
  WireReader reader(message, 1);
  auto view = reader.bytes(2);
  CHECK(view.data() == message.data() + 1);
  CHECK(to_bytes(view) == Bytes{2, 3});
  CHECK(reader.offset() == 3);
}

TEST_CASE("reading past the end of the message throws WireError", "[dns][wire]") {
  struct Row {
    const char* what;
    std::size_t size;
    std::function<void(WireReader&)> read;
  };
  auto row = GENERATE(Row{"u8 of nothing", 0, [](WireReader& r) { r.u8(); }},
                      Row{"u16 of one byte", 1, [](WireReader& r) { r.u16(); }},
                      Row{"u32 of three bytes", 3, [](WireReader& r) { r.u32(); }},
                      Row{"bytes one more than left", 4, [](WireReader& r) { r.bytes(5); }},
                      Row{"skip one more than left", 4, [](WireReader& r) { r.skip(5); }},
                      Row{"seek beyond the end", 4, [](WireReader& r) { r.seek(5); }},
                      Row{"a huge count", 4, [](WireReader& r) { r.bytes(SIZE_MAX); }});
  CAPTURE(row.what);
  Bytes message(row.size, 0xAA);
  WireReader reader(message);
  CHECK_THROWS_AS(row.read(reader), WireError);
}

TEST_CASE("a WireReader cannot start beyond the end of its message", "[dns][wire]") {
  const Bytes message{1, 2};
  CHECK_THROWS_AS(WireReader(message, 3), WireError);
  WireReader at_end(message, 2);
  CHECK(at_end.remaining() == 0);
}

TEST_CASE("seeking to the end is allowed and leaves nothing to read", "[dns][wire]") {
  const Bytes message{1, 2, 3};
  WireReader reader(message);
  reader.seek(3);
  CHECK(reader.remaining() == 0);
  CHECK_THROWS_AS(reader.u8(), WireError);
  reader.seek(0);
  CHECK(reader.u8() == 1);
}

TEST_CASE("WireWriter writes big-endian integers and bytes", "[dns][wire]") {
  std::array<std::uint8_t, 10> buffer{};
  WireWriter writer(buffer);
  writer.u8(0x12);
  writer.u16(0x3456);
  writer.u32(0x789ABCDE);
  const std::array<std::uint8_t, 3> tail{0xF0, 0xF1, 0xF2};
  writer.bytes(tail);
  CHECK_FALSE(writer.overflowed());
  CHECK(writer.size() == 10);
  CHECK(to_bytes(writer.written()) ==
        Bytes{0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0xF1, 0xF2});
}

TEST_CASE("a write that does not fit sets overflow and writes nothing of it", "[dns][wire]") {
  struct Row {
    const char* what;
    std::size_t room;  // bytes left in the buffer before the write
    std::function<void(WireWriter&)> write;
  };
  auto row = GENERATE(Row{"u8 with no room", 0, [](WireWriter& w) { w.u8(1); }},
                      Row{"u16 with one byte left", 1, [](WireWriter& w) { w.u16(0x0102); }},
                      Row{"u32 with three bytes left", 3, [](WireWriter& w) { w.u32(0x01020304); }},
                      Row{"bytes with one byte short", 3, [](WireWriter& w) {
                            const std::array<std::uint8_t, 4> data{1, 2, 3, 4};
                            w.bytes(data);
                          }});
  CAPTURE(row.what);
  std::vector<std::uint8_t> buffer(2 + row.room, 0xEE);
  WireWriter writer(buffer);
  writer.u16(0xABCD);
  row.write(writer);
  CHECK(writer.overflowed());
  CHECK(writer.size() == 2);
  Bytes expected(2 + row.room, 0xEE);
  expected[0] = 0xAB;
  expected[1] = 0xCD;
  CHECK(buffer == expected);
}

TEST_CASE("the overflow flag is sticky: later writes that would fit are refused", "[dns][wire]") {
  std::array<std::uint8_t, 4> buffer{0xEE, 0xEE, 0xEE, 0xEE};
  WireWriter writer(buffer);
  writer.u8(0x01);
  writer.u32(0x02030405);  // needs 4, has 3
  REQUIRE(writer.overflowed());
  writer.u8(0x06);
  writer.u16(0x0708);
  CHECK(writer.overflowed());
  CHECK(writer.size() == 1);
  CHECK(buffer == std::array<std::uint8_t, 4>{0x01, 0xEE, 0xEE, 0xEE});
}

TEST_CASE("writes that exactly fill the buffer do not overflow", "[dns][wire]") {
  std::array<std::uint8_t, 7> buffer{};
  WireWriter writer(buffer);
  writer.u8(1);
  writer.u16(2);
  writer.u32(3);
  CHECK_FALSE(writer.overflowed());
  CHECK(writer.size() == 7);
}

TEST_CASE("patch_u16 overwrites only bytes already written", "[dns][wire]") {
  std::array<std::uint8_t, 4> buffer{0xEE, 0xEE, 0xEE, 0xEE};
  WireWriter writer(buffer);
  writer.u16(0x0000);
  writer.u8(0x11);
  writer.patch_u16(0, 0xBEEF);
  writer.patch_u16(2, 0x2222);  // byte 3 not written yet: ignored
  CHECK(buffer == std::array<std::uint8_t, 4>{0xBE, 0xEF, 0x11, 0xEE});
  CHECK(writer.size() == 3);
  CHECK_FALSE(writer.overflowed());
}

TEST_CASE("a header's flag bits are placed as in RFC 1035 4.1.1", "[dns][wire]") {
  Header header;
  header.id = 0xBEEF;
  header.qr = true;
  header.opcode = 2;
  header.aa = true;
  header.tc = true;
  header.rd = true;
  header.ra = true;
  header.ad = true;
  header.cd = true;
  header.rcode = 5;
  header.qdcount = 1;
  header.ancount = 2;
  header.nscount = 3;
  header.arcount = 4;
  std::array<std::uint8_t, kHeaderSize> buffer{};
  WireWriter writer(buffer);
  header.write(writer);
  const Bytes expected{0xBE, 0xEF, 0x97, 0xB5, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04};
  CHECK(to_bytes(writer.written()) == expected);

  WireReader reader(expected);
  auto read = Header::read(reader);
  CHECK(read.id == 0xBEEF);
  CHECK(read.qr);
  CHECK(read.opcode == 2);
  CHECK(read.aa);
  CHECK(read.tc);
  CHECK(read.rd);
  CHECK(read.ra);
  CHECK(read.ad);
  CHECK(read.cd);
  CHECK(read.rcode == 5);
  CHECK(read.qdcount == 1);
  CHECK(read.ancount == 2);
  CHECK(read.nscount == 3);
  CHECK(read.arcount == 4);
}

TEST_CASE("a header with every flag clear reads back clear", "[dns][wire]") {
  const Bytes message{0x00, 0x07, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  WireReader reader(message);
  auto header = Header::read(reader);
  CHECK(header.id == 7);
  CHECK_FALSE(header.qr);
  CHECK(header.opcode == 0);
  CHECK_FALSE(header.aa);
  CHECK_FALSE(header.tc);
  CHECK_FALSE(header.rd);
  CHECK_FALSE(header.ra);
  CHECK(header.rcode == 0);
}

TEST_CASE("read_record decompresses the names in MX rdata and leaves the reader after the record",
          "[dns][wire]") {
  // clang-format off
  const Bytes message{
      3,    'c', 'o', 'm', 0,           // 0: com
      0xC0, 0x00,                       // 5: owner com
      0x00, 0x0F, 0x00, 0x01,           // MX IN
      0x00, 0x00, 0x0E, 0x10,           // ttl 3600
      0x00, 0x07,                       // rdlength 7
      0x00, 0x0A, 2, 'm', 'x', 0xC0, 0x00,  // preference 10, mx.com
      0x99,
  };
  // clang-format on
  WireReader reader(message, 5);
  auto record = read_record(reader);
  CHECK(record.name == DnsName::from_text("com"));
  CHECK(record.type == RrType::MX);
  CHECK(record.klass == RrClass::IN);
  CHECK(record.ttl == 3600);
  CHECK(record.rdata == Bytes{0x00, 0x0A, 2, 'm', 'x', 3, 'c', 'o', 'm', 0});
  CHECK(reader.offset() == message.size() - 1);
}

TEST_CASE("read_record copies rdata of other types as it is", "[dns][wire]") {
  // clang-format off
  const Bytes message{
      0,                       // owner: root
      0x00, 0x10, 0x00, 0x01,  // TXT IN
      0x00, 0x00, 0x00, 0x3C,  // ttl 60
      0x00, 0x04,              // rdlength 4
      3,    'C', 0xC0, 0x00,   // looks like a pointer, but TXT is never compressed
  };
  // clang-format on
  WireReader reader(message);
  auto record = read_record(reader);
  CHECK(record.type == RrType::TXT);
  CHECK(record.rdata == Bytes{3, 'C', 0xC0, 0x00});
  CHECK(reader.remaining() == 0);
}

TEST_CASE("read_record rejects rdata whose length does not match its content", "[dns][wire]") {
  struct Row {
    const char* what;
    Bytes message;
  };
  auto row = GENERATE(
      Row{"CNAME name shorter than rdlength",
          {0, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 1, 'a', 0, 0xFF}},
      Row{"CNAME name longer than rdlength",
          {0, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x02, 1, 'a', 0}},
      Row{"rdlength beyond the message", {0, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 1, 2}},
      Row{"SOA without its 20 bytes of numbers",
          {0, 0x00, 0x06, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 0, 0, 0, 0}},
      Row{"record cut in its fixed part", {0, 0x00, 0x01, 0x00, 0x01, 0, 0}});
  CAPTURE(row.what);
  WireReader reader(row.message);
  CHECK_THROWS_AS(read_record(reader), WireError);
}

TEST_CASE("write_record compresses the owner to 0xC00C only when it equals the question name",
          "[dns][wire]") {
  auto question = DnsName::from_text("Example.COM");
  ResourceRecord record;
  record.name = DnsName::from_text("example.com");
  record.type = RrType::A;
  record.ttl = 0x01020304;
  record.rdata = {192, 0, 2, 1};
  std::array<std::uint8_t, 64> buffer{};

  WireWriter compressed(buffer);
  write_record(compressed, record, &question);
  CHECK(to_bytes(compressed.written()) == Bytes{0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x01, 0x02,
                                                0x03, 0x04, 0x00, 0x04, 192, 0, 2, 1});

  auto other = DnsName::from_text("example.org");
  WireWriter plain(buffer);
  write_record(plain, record, &other);
  CHECK(to_bytes(plain.written()) == Bytes{7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,
                                           'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01, 0x01,
                                           0x02, 0x03, 0x04, 0x00, 0x04, 192,  0,    2,    1});
}

TEST_CASE("an OPT record is written with the root owner and the EDNS fields in its TTL",
          "[dns][wire]") {
  Edns edns;
  edns.udp_size = 1232;
  edns.extended_rcode = 1;
  edns.version = 0;
  edns.dnssec_ok = true;
  std::array<std::uint8_t, 16> buffer{};
  WireWriter writer(buffer);
  write_edns(writer, edns);
  const Bytes expected{0x00, 0x00, 0x29, 0x04, 0xD0, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00};
  CHECK(to_bytes(writer.written()) == expected);

  WireReader reader(expected, 3);  // past owner and type
  auto read = read_edns(reader);
  CHECK(read.udp_size == 1232);
  CHECK(read.extended_rcode == 1);
  CHECK(read.version == 0);
  CHECK(read.dnssec_ok);
  CHECK(reader.remaining() == 0);
}

TEST_CASE("a SOA encodes to RFC 1035 3.3.13 layout and decodes back", "[dns][wire]") {
  SoaFields soa;
  soa.mname = DnsName::from_text("a");
  soa.rname = DnsName::from_text("b.c");
  soa.serial = 1;
  soa.refresh = 2;
  soa.retry = 3;
  soa.expire = 4;
  soa.minimum = 0x01020304;
  auto rdata = encode_soa(soa);
  const Bytes expected{1, 'a', 0, 1, 'b', 1, 'c', 0, 0, 0, 0, 1, 0, 0,
                       0, 2,   0, 0, 0,   3, 0,   0, 0, 4, 1, 2, 3, 4};
  CHECK(rdata == expected);
  auto decoded = decode_soa(rdata);
  CHECK(decoded.mname == soa.mname);
  CHECK(decoded.rname == soa.rname);
  CHECK(decoded.serial == 1);
  CHECK(decoded.refresh == 2);
  CHECK(decoded.retry == 3);
  CHECK(decoded.expire == 4);
  CHECK(decoded.minimum == 0x01020304u);
}

TEST_CASE("decode_soa rejects rdata that is not a whole SOA", "[dns][wire]") {
  auto rdata = GENERATE(Bytes{}, Bytes{0, 0}, Bytes{0, 0, 0, 0, 0, 1}, Bytes{0xC0, 0x00});
  CAPTURE(rdata);
  CHECK_THROWS_AS(decode_soa(rdata), WireError);
}

TEST_CASE("the negative TTL of a SOA is the smaller of its TTL and its MINIMUM", "[dns][wire]") {
  struct Row {
    std::uint32_t ttl;
    std::uint32_t minimum;
    std::uint32_t expected;
  };
  auto row = GENERATE(Row{300, 60, 60}, Row{30, 60, 30}, Row{0, 60, 0}, Row{60, 60, 60});
  SoaFields soa;
  soa.minimum = row.minimum;
  ResourceRecord record;
  record.type = RrType::SOA;
  record.ttl = row.ttl;
  record.rdata = encode_soa(soa);
  CHECK(negative_ttl(record) == row.expected);
}

}  // namespace resolver::dns

// The PROXY protocol v2 header: what dnsdist sends before a relayed query, read back; and every
// way a header can lie about its length or contents refused.
#include "resolver/net/proxy_header.hpp"

#include <catch2/catch.hpp>
#include <vector>

namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::udp;
using namespace resolver::net;
using Status = ProxyParse::Status;

std::vector<std::uint8_t> with_payload(std::vector<std::uint8_t> header,
                                       std::initializer_list<std::uint8_t> payload) {
  header.insert(header.end(), payload);
  return header;
}

// A header written by hand, as the specification lays it out, so the encoder is not checked
// against itself alone.
std::vector<std::uint8_t> hand_written_v4() {
  return {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,  // signature
          0x21,                                                                    // v2 PROXY
          0x12,                                                                    // INET DGRAM
          0x00, 0x0C,                                                              // 12 bytes
          192,  0,    2,    7,                                                     // source
          127,  0,    0,    1,                                                     // destination
          0xC3, 0x50,                                                              // 50000
          0x00, 0x35};                                                             // 53
}

}  // namespace

TEST_CASE("a PROXY v2 header over IPv4 gives the client and the header's size", "[net][proxy]") {
  auto bytes = with_payload(hand_written_v4(), {0xAB, 0xCD});
  auto parse = parse_proxy_header(bytes);
  REQUIRE(parse.status == Status::Header);
  CHECK(parse.header.size == 28);
  REQUIRE(parse.header.source);
  CHECK(*parse.header.source == udp::endpoint(make_address("192.0.2.7"), 50000));
  REQUIRE(parse.header.destination);
  CHECK(*parse.header.destination == udp::endpoint(make_address("127.0.0.1"), 53));
  CHECK(has_proxy_signature(bytes));
}

TEST_CASE("encode_proxy_header writes what parse_proxy_header reads, for IPv4 and IPv6",
          "[net][proxy]") {
  udp::endpoint v4_source(make_address("192.0.2.7"), 50000);
  udp::endpoint v4_destination(make_address("127.0.0.1"), 53);
  CHECK(encode_proxy_header(v4_source, v4_destination, false) == hand_written_v4());

  udp::endpoint source(make_address("2001:db8::7"), 4242);
  udp::endpoint destination(make_address("::1"), 5353);
  auto bytes = encode_proxy_header(source, destination, true);
  CHECK(bytes.size() == 16 + 36);
  CHECK(bytes[13] == 0x21);  // INET6, STREAM
  auto parse = parse_proxy_header(bytes);
  REQUIRE(parse.status == Status::Header);
  CHECK(parse.header.size == bytes.size());
  CHECK(parse.header.source == source);
  CHECK(parse.header.destination == destination);
}

TEST_CASE("LOCAL and address-less PROXY headers name no client", "[net][proxy]") {
  auto local = hand_written_v4();
  local[12] = 0x20;  // v2 LOCAL: the addresses are ignored
  auto parse = parse_proxy_header(local);
  REQUIRE(parse.status == Status::Header);
  CHECK(parse.header.size == 28);
  CHECK_FALSE(parse.header.source);

  std::vector<std::uint8_t> unspec(kProxySignature.begin(), kProxySignature.end());
  unspec.insert(unspec.end(), {0x21, 0x00, 0x00, 0x00});
  parse = parse_proxy_header(unspec);
  REQUIRE(parse.status == Status::Header);
  CHECK(parse.header.size == 16);
  CHECK_FALSE(parse.header.source);
}

TEST_CASE("extensions after the addresses are skipped when they fill the header exactly",
          "[net][proxy]") {
  auto bytes = hand_written_v4();
  bytes[15] = 12 + 3 + 2;                                     // the addresses, one 2-byte TLV
  bytes.insert(bytes.end(), {0x05, 0x00, 0x02, 0xAA, 0xBB});  // PP2_TYPE_UNIQUE_ID
  auto parse = parse_proxy_header(bytes);
  REQUIRE(parse.status == Status::Header);
  CHECK(parse.header.size == 33);
  CHECK(parse.header.source);

  bytes[17 + 12 + 1] = 0x03;  // the TLV now claims a byte the header does not have
  parse = parse_proxy_header(bytes);
  CHECK(parse.status == Status::Malformed);
  CHECK(parse.error == "PROXY extensions overrun the header");
}

TEST_CASE("a header cut short needs more bytes; a wrong one is malformed", "[net][proxy]") {
  auto whole = hand_written_v4();
  for (std::size_t size = 1; size < whole.size(); ++size) {
    INFO("first " << size << " bytes");
    CHECK(parse_proxy_header(std::span(whole).first(size)).status == Status::NeedMore);
  }
  CHECK_FALSE(has_proxy_signature(std::span(whole).first(11)));

  auto broken = [&](std::size_t at, std::uint8_t value) {
    auto bytes = whole;
    bytes[at] = value;
    return parse_proxy_header(bytes);
  };
  CHECK(broken(0, 0x00).error == "no PROXY v2 signature");
  CHECK(broken(12, 0x11).error == "PROXY version 1");
  CHECK(broken(12, 0x22).error == "PROXY command 2");
  CHECK(broken(13, 0x42).error == "PROXY address family 4");
  CHECK(broken(13, 0x13).error == "PROXY transport 3");
  CHECK(broken(15, 0x04).error == "PROXY addresses cut short");  // 4 bytes cannot hold INET
  auto huge = broken(14, 0x04);                                  // 1036 bytes follow
  CHECK(huge.status == Status::Malformed);
  CHECK(huge.error == "PROXY header of 1052 bytes");

  // A DNS query's header is no PROXY header.
  std::vector<std::uint8_t> query{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(has_proxy_signature(query));
  CHECK(parse_proxy_header(query).status == Status::Malformed);
}

// Stream framing: the two length bytes in front of a DNS message over TCP.
#include "resolver/exchange/framing.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <vector>

#include "support/records.hpp"

namespace {

using namespace resolver::exchange;
using test_support::question;

using Prefix = std::array<std::uint8_t, kLengthPrefixSize>;

}  // namespace

TEST_CASE("a length prefix is two bytes, most significant first", "[exchange][framing]") {
  struct Row {
    std::size_t size;
    Prefix bytes;
  };
  auto row = GENERATE(Row{0, {0x00, 0x00}}, Row{12, {0x00, 0x0c}}, Row{0x1234, {0x12, 0x34}},
                      Row{kMaxStreamMessage, {0xff, 0xff}});
  CAPTURE(row.size);
  Prefix out{};
  REQUIRE(write_length_prefix(row.size, out));
  CHECK(out == row.bytes);
  CHECK(read_length_prefix(out) == row.size);
}

TEST_CASE("a message longer than two bytes can say is not framed", "[exchange][framing]") {
  Prefix out{0xaa, 0xbb};
  CHECK_FALSE(write_length_prefix(kMaxStreamMessage + 1, out));
  CHECK(out == Prefix{0xaa, 0xbb});
}

TEST_CASE("a framed query is its length, then the query as a datagram", "[exchange][framing]") {
  auto query = make_query(Protocol::Dns, question("www.example.org"), 0x5a5a);
  std::array<std::uint8_t, 512> datagram{};
  auto datagram_size = encode_query(query, datagram);
  REQUIRE(datagram_size > 12);

  std::array<std::uint8_t, 514> framed{};
  auto framed_size = encode_framed_query(query, framed);
  REQUIRE(framed_size == datagram_size + kLengthPrefixSize);
  CHECK(read_length_prefix(std::span(framed).first<kLengthPrefixSize>()) == datagram_size);
  CHECK(std::vector(framed.begin() + 2, framed.begin() + static_cast<long>(framed_size)) ==
        std::vector(datagram.begin(), datagram.begin() + static_cast<long>(datagram_size)));
}

TEST_CASE("a framed query that does not fit, or in text, encodes to nothing",
          "[exchange][framing]") {
  auto dns = make_query(Protocol::Dns, question("www.example.org"), 0x5a5a);
  std::array<std::uint8_t, 1> tiny{};
  CHECK(encode_framed_query(dns, tiny) == 0);
  std::array<std::uint8_t, 20> small{};
  CHECK(encode_framed_query(dns, small) == 0);
  std::array<std::uint8_t, 514> room{};
  CHECK(encode_framed_query(make_query(Protocol::Text, question("www.example.org"), 0), room) == 0);
}

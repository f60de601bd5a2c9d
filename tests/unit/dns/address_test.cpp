// Address literals: parse_address and its allocation-free twin parse_address_into agree.
#include "resolver/dns/address.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace resolver::dns {

TEST_CASE("an IPv4 literal is an A record's 4 bytes and an IPv6 literal an AAAA record's 16",
          "[dns][address]") {
  auto a = parse_address("192.0.2.1");
  REQUIRE(a);
  CHECK(a->type == RrType::A);
  CHECK(a->rdata == std::vector<std::uint8_t>{192, 0, 2, 1});
  auto aaaa = parse_address("2001:db8::1");
  REQUIRE(aaaa);
  CHECK(aaaa->type == RrType::AAAA);
  CHECK(aaaa->rdata ==
        std::vector<std::uint8_t>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
}

TEST_CASE("parse_address_into accepts and rejects exactly what parse_address does",
          "[dns][address]") {
  auto text = GENERATE(as<std::string>{}, "192.0.2.1", "0.0.0.0", "255.255.255.255",
                       "::", "::ffff:192.0.2.1", "2001:db8::1", "", "1.2.3", "300.1.1.1",
                       " 1.2.3.4", "1.2.3.4 ", "192.0.2.1:53", "2001:db8:::1", "fe80::1%eth0",
                       "01.2.3.4", std::string(45, '1'), std::string(46, '1'), "1:2:3:4:5:6:7:8");
  CAPTURE(text);
  std::array<std::uint8_t, 16> buffer{};
  auto type = parse_address_into(text, buffer);
  auto parsed = parse_address(text);
  REQUIRE(type.has_value() == parsed.has_value());
  if (!parsed) return;
  CHECK(*type == parsed->type);
  CHECK(std::vector<std::uint8_t>(
            buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(parsed->rdata.size())) ==
        parsed->rdata);
}

TEST_CASE("an address literal is only the address: no port, zone, padding or bad octet",
          "[dns][address]") {
  for (std::string text : {"", "1.2.3", "300.1.1.1", " 1.2.3.4", "1.2.3.4 ", "192.0.2.1:53",
                           "2001:db8:::1", "fe80::1%eth0", "example.com"}) {
    CAPTURE(text);
    std::array<std::uint8_t, 16> buffer{};
    CHECK_FALSE(parse_address_into(text, buffer));
    CHECK_FALSE(parse_address(text));
  }
}

TEST_CASE("an address followed by a NUL byte and more is not an address", "[dns][address]") {
  using namespace std::string_view_literals;
  for (auto text : {"1.2.3.4\0junk"sv, "2001:db8::1\0"sv, "\0"sv}) {
    std::array<std::uint8_t, 16> buffer{};
    CHECK_FALSE(parse_address_into(text, buffer));
  }
}

}  // namespace resolver::dns

// Address literals: parse_address and its allocation-free twin parse_address_into agree.
#include "resolver/dns/address.hpp"

#include <arpa/inet.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
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

// The IPv4 parse is our own (for speed, see address.cpp): it must accept exactly what
// inet_pton(AF_INET) accepts, to the same bytes.
TEST_CASE("a dotted quad is read as inet_pton reads it", "[dns][address]") {
  std::vector<std::string> texts = {
      "0.0.0.0",    "1.2.3.4",         "255.255.255.255", "256.1.1.1", "1.2.3.256", "01.2.3.4",
      "1.2.3.04",   "1.2.3.0",         "1.2.3",           "1.2.3.4.5", "1.2.3.4.",  ".1.2.3.4",
      "1..2.3",     "1.2.3.",          "0001.2.3.4",      "1.2.3.4a",  "1e1.2.3.4", "+1.2.3.4",
      "199.99.9.0", "100.200.250.255", "10.0.0.1"};
  // And random texts shaped like dotted quads: 3 to 5 parts of 0 to 4 digits, now and then a
  // letter. Seeded, so a failure repeats.
  std::mt19937 random(18);
  auto pick = [&random](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int parts = pick(3, 5);
    for (int part = 0; part < parts; ++part) {
      if (part > 0) text += '.';
      for (int digit = pick(0, 4); digit > 0; --digit)
        text += pick(0, 49) == 0 ? 'x' : static_cast<char>('0' + pick(0, 9));
    }
    texts.push_back(text);
  }
  std::size_t accepted = 0;
  for (const auto& text : texts) {
    std::array<std::uint8_t, 4> expected{};
    bool valid = inet_pton(AF_INET, text.c_str(), expected.data()) == 1;
    std::array<std::uint8_t, 16> buffer{};
    auto type = parse_address_into(text, buffer);
    if (type.has_value() != valid ||
        (valid && std::memcmp(buffer.data(), expected.data(), 4) != 0)) {
      FAIL_CHECK("\"" << text << "\": inet_pton " << (valid ? "accepts" : "rejects")
                      << " it, parse_address_into does not agree");
    }
    if (valid) {
      CHECK(type == RrType::A);
      ++accepted;
    }
  }
  CHECK(accepted > 100);  // the random texts reach the accepting side too
}

TEST_CASE("an address followed by a NUL byte and more is not an address", "[dns][address]") {
  using namespace std::string_view_literals;
  for (auto text : {"1.2.3.4\0junk"sv, "2001:db8::1\0"sv, "\0"sv}) {
    std::array<std::uint8_t, 16> buffer{};
    CHECK_FALSE(parse_address_into(text, buffer));
  }
}

}  // namespace resolver::dns

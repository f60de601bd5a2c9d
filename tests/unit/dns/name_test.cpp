// DnsName: the one name parser (text and wire), its limits, escaping and comparisons.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "resolver/dns/name.hpp"

namespace resolver::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string wire_of(std::initializer_list<int> bytes) {
  std::string out;
  for (int byte : bytes) out.push_back(static_cast<char>(byte));
  return out;
}

// A label of `length` copies of `fill`, as text.
std::string label(std::size_t length, char fill = 'a') {
  return std::string(length, fill);
}

// Appends a length-prefixed label of `length` copies of 'a' to `wire`.
void append_wire_label(Bytes& wire, std::size_t length) {
  wire.push_back(static_cast<std::uint8_t>(length));
  wire.insert(wire.end(), length, 'a');
}

}  // namespace

TEST_CASE("a host name parses into length-prefixed labels ending in the root label",
          "[dns][name]") {
  struct Row {
    const char* text;
    std::string wire;
  };
  auto row = GENERATE(Row{"www.example.com", wire_of({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p',
                                                      'l', 'e', 3, 'c', 'o', 'm', 0})},
                      Row{"a", wire_of({1, 'a', 0})}, Row{".", wire_of({0})},
                      Row{"x-1.under_score", wire_of({3, 'x', '-', '1', 11, 'u', 'n', 'd', 'e', 'r',
                                                      '_', 's', 'c', 'o', 'r', 'e', 0})});
  CAPTURE(row.text);
  auto parsed = DnsName::parse(row.text);
  REQUIRE(parsed.error == NameError::None);
  CHECK(parsed.wire == row.wire);
  REQUIRE(parsed.name());
  CHECK(parsed.name()->wire() == row.wire);
}

TEST_CASE("a trailing dot does not change the parsed name", "[dns][name]") {
  auto text = GENERATE("example.com", "a", "www.example.org");
  CAPTURE(text);
  CHECK(DnsName::parse(std::string(text) + ".").wire == DnsName::parse(text).wire);
}

TEST_CASE("parsing keeps letter case in wire() and lower-cases it in key()", "[dns][name]") {
  auto name = DnsName::from_text("WwW.ExAmple.COM");
  CHECK(name.wire() ==
        wire_of({3, 'W', 'w', 'W', 7, 'E', 'x', 'A', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0}));
  CHECK(name.key() ==
        wire_of({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0}));
}

TEST_CASE("names that differ only in letter case are equal but not identical", "[dns][name]") {
  auto lower = DnsName::from_text("www.example.com");
  auto mixed = DnsName::from_text("WWW.Example.Com");
  CHECK(lower == mixed);
  CHECK(lower.key() == mixed.key());
  CHECK_FALSE(lower.identical(mixed));
  CHECK(lower.identical(DnsName::from_text("www.example.com.")));
  CHECK_FALSE(lower == DnsName::from_text("www.example.co"));
  CHECK_FALSE(DnsName::from_text("a.b") == DnsName::from_text("ab"));
}

TEST_CASE("each invalid name is reported with its error and the position of the problem",
          "[dns][name]") {
  struct Row {
    std::string text;
    NameError error;
    std::size_t position;
  };
  auto row = GENERATE(
      Row{"", NameError::Empty, 0}, Row{".a", NameError::EmptyLabel, 0},
      Row{"a..b", NameError::EmptyLabel, 2}, Row{"a.b..", NameError::EmptyLabel, 4},
      Row{"..", NameError::EmptyLabel, 0}, Row{"a.b$c", NameError::BadCharacter, 3},
      Row{"a b", NameError::BadCharacter, 1}, Row{"a\\046b", NameError::BadCharacter, 1},
      Row{"caf\xc3\xa9", NameError::BadCharacter, 3}, Row{"x.*.y", NameError::BadCharacter, 2},
      Row{"x." + label(64), NameError::LabelTooLong, 2 + 63},
      Row{label(64) + ".x", NameError::LabelTooLong, 63},
      Row{label(63) + "." + label(63) + "." + label(63) + "." + label(62), NameError::NameTooLong,
          253});
  CAPTURE(row.text);
  auto parsed = DnsName::parse(row.text);
  CHECK(parsed.error == row.error);
  CHECK(parsed.position == row.position);
  CHECK_FALSE(parsed.name());
  CHECK_FALSE(describe(row.error).empty());
}

TEST_CASE("a 63-character label and a 253-character name are the largest accepted", "[dns][name]") {
  auto longest_label = DnsName::parse(label(63) + ".com");
  CHECK(longest_label.error == NameError::None);

  // 63 + 63 + 63 + 61 characters and three dots: 253 characters, 255 octets on the wire.
  std::string longest = label(63) + "." + label(63) + "." + label(63) + "." + label(61);
  REQUIRE(longest.size() == DnsName::kMaxTextLength);
  auto parsed = DnsName::parse(longest);
  REQUIRE(parsed.error == NameError::None);
  CHECK(parsed.wire.size() == DnsName::kMaxWireLength);
  CHECK(DnsName::parse(longest + ".").error == NameError::None);
  CHECK(DnsName::parse(longest + "a").error == NameError::NameTooLong);
}

TEST_CASE("from_text throws std::invalid_argument for an invalid name", "[dns][name]") {
  CHECK_THROWS_AS(DnsName::from_text("a..b"), std::invalid_argument);
  CHECK_THROWS_AS(DnsName::from_text(""), std::invalid_argument);
  CHECK_NOTHROW(DnsName::from_text("ok.example"));
}

TEST_CASE("the default name is the root", "[dns][name]") {
  DnsName root;
  CHECK(root.is_root());
  CHECK(root.wire() == wire_of({0}));
  CHECK(root.to_text() == ".");
  CHECK(root.label_count() == 0);
  CHECK(root == DnsName::from_text("."));
}

TEST_CASE("an uncompressed name is read and the reader stops right after its root label",
          "[dns][name][wire]") {
  const Bytes message{3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm',
                      'p', 'l', 'e', 3,   'c', 'o', 'm', 0,   0xAB};
  WireReader reader(message);
  auto name = DnsName::read(reader);
  CHECK(name == DnsName::from_text("www.example.com"));
  CHECK(reader.offset() == 17);
  CHECK(reader.u8() == 0xAB);
}

TEST_CASE("a backward compression pointer is followed", "[dns][name][wire]") {
  // clang-format off
  const Bytes message{
      7,    'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,  // 0: example.com
      3,    'w', 'w', 'w', 0xC0, 0x00,                              // 13: www + pointer to 0
      0xEE,                                                         // 19: what follows
  };
  // clang-format on
  WireReader reader(message, 13);
  auto name = DnsName::read(reader);
  CHECK(name.wire() ==
        wire_of({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0}));
  CHECK(reader.offset() == 19);
  CHECK(reader.u8() == 0xEE);
}

TEST_CASE("a name that is only a pointer is read and the reader resumes after the pointer",
          "[dns][name][wire]") {
  const Bytes message{3, 'c', 'o', 'm', 0, 0xC0, 0x00, 0x77};
  WireReader reader(message, 5);
  CHECK(DnsName::read(reader) == DnsName::from_text("com"));
  CHECK(reader.offset() == 7);
}

TEST_CASE("after a chain of pointers the reader resumes right after the first pointer",
          "[dns][name][wire]") {
  // clang-format off
  const Bytes message{
      3,    'c', 'o', 'm', 0,                                   // 0: com
      7,    'e', 'x', 'a', 'm', 'p', 'l', 'e', 0xC0, 0x00,      // 5: example + pointer to 0
      3,    'w', 'w', 'w', 0xC0, 0x05,                          // 15: www + pointer to 5
      0xEE,                                                     // 21
  };
  // clang-format on
  WireReader reader(message, 15);
  CHECK(DnsName::read(reader) == DnsName::from_text("www.example.com"));
  CHECK(reader.offset() == 21);
}

TEST_CASE("a compression pointer that points forward is rejected", "[dns][name][wire]") {
  const Bytes message{0xC0, 0x02, 1, 'a', 0};
  WireReader reader(message);
  CHECK_THROWS_AS(DnsName::read(reader), WireError);
}

TEST_CASE("a compression pointer that points to itself is rejected", "[dns][name][wire]") {
  SECTION("as the whole name") {
    const Bytes message{0xC0, 0x00};
    WireReader reader(message);
    CHECK_THROWS_AS(DnsName::read(reader), WireError);
  }
  SECTION("after a label") {
    const Bytes message{1, 'a', 0xC0, 0x02};
    WireReader reader(message);
    CHECK_THROWS_AS(DnsName::read(reader), WireError);
  }
}

TEST_CASE("a compression pointer loop is rejected", "[dns][name][wire]") {
  SECTION("a pointer back to the start of its own name") {
    const Bytes message{1, 'a', 0xC0, 0x00};
    WireReader reader(message);
    CHECK_THROWS_AS(DnsName::read(reader), WireError);
  }
  SECTION("a pointer into its own labels is refused as not backwards, before any hop limit") {
    Bytes message;
    append_wire_label(message, 63);
    message.push_back(0xC0);
    message.push_back(0x00);
    WireReader reader(message);
    CHECK_THROWS_WITH(DnsName::read(reader), Catch::Contains("backwards"));
  }
  SECTION("a later name that jumps into a loop") {
    const Bytes message{1, 'a', 1, 'b', 0xC0, 0x02, 1, 'x', 0xC0, 0x00};
    WireReader reader(message, 6);
    CHECK_THROWS_AS(DnsName::read(reader), WireError);
  }
}

TEST_CASE("a name that needs more than 32 pointer hops is rejected, 32 are accepted",
          "[dns][name][wire]") {
  // Offset 0 is the root label; every pointer after it points to the one before.
  auto chain = [](int pointers) {
    Bytes message{0};
    for (int i = 0; i < pointers; ++i) {
      std::size_t previous = i == 0 ? 0 : message.size() - 2;
      message.push_back(static_cast<std::uint8_t>(0xC0 | previous >> 8));
      message.push_back(static_cast<std::uint8_t>(previous));
    }
    return message;
  };
  auto accepted = chain(DnsName::kMaxPointerHops);
  WireReader ok(accepted, accepted.size() - 2);
  CHECK(DnsName::read(ok).is_root());
  CHECK(ok.remaining() == 0);

  auto rejected = chain(DnsName::kMaxPointerHops + 1);
  WireReader bad(rejected, rejected.size() - 2);
  CHECK_THROWS_AS(DnsName::read(bad), WireError);
}

TEST_CASE("a name cut off by the end of the message is rejected", "[dns][name][wire]") {
  auto message = GENERATE(Bytes{}, Bytes{3, 'w', 'w'}, Bytes{3, 'w', 'w', 'w'}, Bytes{0xC0},
                          Bytes{1, 'a', 0xC0});
  CAPTURE(message);
  WireReader reader(message);
  CHECK_THROWS_AS(DnsName::read(reader), WireError);
}

TEST_CASE("the reserved label types 01 and 10 are rejected", "[dns][name][wire]") {
  auto first = GENERATE(0x40, 0x41, 0x80, 0xBF);
  const Bytes message{static_cast<std::uint8_t>(first), 'a', 'b', 0};
  WireReader reader(message);
  CHECK_THROWS_AS(DnsName::read(reader), WireError);
}

TEST_CASE("a name of 255 octets on the wire is read and one of 256 is rejected",
          "[dns][name][wire]") {
  Bytes longest;
  for (int i = 0; i < 3; ++i) append_wire_label(longest, 63);
  append_wire_label(longest, 61);
  longest.push_back(0);
  REQUIRE(longest.size() == 255);
  WireReader ok(longest);
  CHECK(DnsName::read(ok).wire().size() == 255);

  Bytes too_long;
  for (int i = 0; i < 3; ++i) append_wire_label(too_long, 63);
  append_wire_label(too_long, 62);
  too_long.push_back(0);
  WireReader bad(too_long);
  CHECK_THROWS_AS(DnsName::read(bad), WireError);
}

TEST_CASE("a name that exceeds 255 octets only through compression is rejected",
          "[dns][name][wire]") {
  Bytes message;
  for (int i = 0; i < 3; ++i) append_wire_label(message, 63);
  message.push_back(0);  // offset 0: a 193-octet name
  std::size_t second = message.size();
  append_wire_label(message, 63);
  message.push_back(0xC0);
  message.push_back(0x00);  // 64 + 193 = 257 octets once expanded
  WireReader reader(message, second);
  CHECK_THROWS_AS(DnsName::read(reader), WireError);
}

TEST_CASE("to_text writes host-name bytes as they are and escapes every other byte as \\DDD",
          "[dns][name]") {
  struct Row {
    std::string wire;
    const char* text;
  };
  auto row = GENERATE(Row{wire_of({3, 'W', 'w', 'w', 3, 'c', 'o', 'm', 0}), "Www.com"},
                      Row{wire_of({0}), "."}, Row{wire_of({1, '*', 1, 'x', 0}), "*.x"},
                      Row{wire_of({3, 'a', '.', 'b', 0}), "a\\046b"},
                      Row{wire_of({3, 'a', ' ', '\\', 0}), "a\\032\\092"},
                      Row{wire_of({2, 0xFF, 0x00, 0}), "\\255\\000"},
                      Row{wire_of({1, ',', 2, 'n', 'l', 0}), "\\044.nl"});
  CAPTURE(row.text);
  CHECK(DnsName::from_wire(row.wire).to_text() == row.text);
}

TEST_CASE("to_text of a parsed name gives back the text without the trailing dot", "[dns][name]") {
  auto text = GENERATE("www.example.com", "MiXeD.Case", "a-b_c.d");
  CHECK(DnsName::from_text(text).to_text() == text);
  CHECK(DnsName::from_text(std::string(text) + ".").to_text() == text);
}

TEST_CASE("is_subdomain_of is true for the name itself and names below it, at label boundaries",
          "[dns][name]") {
  struct Row {
    const char* name;
    const char* ancestor;
    bool expected;
  };
  auto row = GENERATE(
      Row{"www.example.com", "example.com", true}, Row{"example.com", "example.com", true},
      Row{"WWW.EXAMPLE.com", "example.COM", true}, Row{"a.b.c.example.com", "c.example.com", true},
      Row{"example.com", ".", true}, Row{".", ".", true},
      Row{"example.com", "www.example.com", false}, Row{"badexample.com", "example.com", false},
      Row{"example.com.evil", "example.com", false}, Row{"com", "example.com", false},
      Row{".", "com", false});
  CAPTURE(row.name, row.ancestor);
  CHECK(DnsName::from_text(row.name).is_subdomain_of(DnsName::from_text(row.ancestor)) ==
        row.expected);
}

TEST_CASE("label_count counts the labels above the root", "[dns][name]") {
  CHECK(DnsName::from_text("www.example.com").label_count() == 3);
  CHECK(DnsName::from_text("a").label_count() == 1);
  CHECK(DnsName::from_text(".").label_count() == 0);
}

TEST_CASE("parse_name_text writes into a caller's buffer exactly what DnsName::parse returns",
          "[dns][name]") {
  auto text = GENERATE(as<std::string>{}, "www.Example.com", "www.example.com.", ".", "a",
                       std::string(63, 'x') + ".y", "", "a..b", ".a", "bad!char",
                       std::string(64, 'x'), std::string(254, 'a'));
  CAPTURE(text);
  std::array<std::uint8_t, DnsName::kMaxWireLength> buffer{};
  auto into = parse_name_text(text, buffer);
  auto parsed = DnsName::parse(text);
  CHECK(into.error == parsed.error);
  CHECK(into.position == parsed.position);
  if (parsed.error == NameError::None) {
    CHECK(std::string(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(into.length)) ==
          parsed.wire);
  }
}

TEST_CASE("parse_name_text fills the whole 255-byte buffer for the longest name", "[dns][name]") {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  std::array<std::uint8_t, DnsName::kMaxWireLength> buffer{};
  auto into = parse_name_text(name253 + ".", buffer);
  REQUIRE(into.error == NameError::None);
  CHECK(into.length == DnsName::kMaxWireLength);
  CHECK(buffer[0] == 63);
  CHECK(buffer[192] == 61);
  CHECK(buffer[254] == 0);
}

}  // namespace resolver::dns

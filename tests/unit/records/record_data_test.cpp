#include "resolver/records/record_data.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "resolver/records/record_file.hpp"

namespace {

using resolver::dns::RrType;
using resolver::records::kMaxRdataLength;
using resolver::records::parse_rdata;
using resolver::records::parse_record_type;
using Bytes = std::vector<std::uint8_t>;

// Expected RDATA, built by appending (GCC -O2 warns falsely about initializer-list inserts).
struct Rdata {
  Bytes bytes;

  Rdata& u16(unsigned value) {
    bytes.push_back(static_cast<std::uint8_t>(value >> 8));
    bytes.push_back(static_cast<std::uint8_t>(value & 0xFF));
    return *this;
  }
  // Uncompressed wire form of a dotted name ("" or "." is the root).
  Rdata& name(const std::string& text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
      std::size_t dot = text.find('.', begin);
      if (dot == std::string::npos) dot = text.size();
      if (dot > begin) {
        bytes.push_back(static_cast<std::uint8_t>(dot - begin));
        for (std::size_t i = begin; i < dot; ++i)
          bytes.push_back(static_cast<std::uint8_t>(text[i]));
      }
      begin = dot + 1;
    }
    bytes.push_back(0);
    return *this;
  }
  // One character-string: a length byte, then the text.
  Rdata& string(const std::string& text) {
    bytes.push_back(static_cast<std::uint8_t>(text.size()));
    for (char c : text) bytes.push_back(static_cast<std::uint8_t>(c));
    return *this;
  }
  Rdata& raw(std::initializer_list<unsigned> values) {
    for (unsigned value : values) bytes.push_back(static_cast<std::uint8_t>(value));
    return *this;
  }
};

struct Parsed {
  Bytes rdata;
  std::size_t position = 0;
  std::string message;
};

Parsed parse(RrType type, std::string_view text) {
  std::vector<std::uint8_t> buffer(kMaxRdataLength);
  auto result = parse_rdata(
      type, text, std::span<std::uint8_t, kMaxRdataLength>(buffer.data(), kMaxRdataLength));
  Parsed parsed;
  if (result.ok()) {
    parsed.rdata.assign(buffer.begin(),
                        buffer.begin() + static_cast<std::ptrdiff_t>(result.length));
  }
  parsed.position = result.position;
  parsed.message = result.message;
  return parsed;
}

Bytes good(RrType type, std::string_view text) {
  auto parsed = parse(type, text);
  INFO(parsed.message);
  CHECK(parsed.message.empty());
  return parsed.rdata;
}

}  // namespace

TEST_CASE("the type column takes A AAAA CNAME MX PTR SRV TXT in any letter case", "[records]") {
  CHECK(parse_record_type("A") == RrType::A);
  CHECK(parse_record_type("aaaa") == RrType::AAAA);
  CHECK(parse_record_type("CName") == RrType::CNAME);
  CHECK(parse_record_type("mx") == RrType::MX);
  CHECK(parse_record_type("ptr") == RrType::PTR);
  CHECK(parse_record_type("Srv") == RrType::SRV);
  CHECK(parse_record_type("txt") == RrType::TXT);
  for (std::string_view other : {"", "NS", "SOA", "MXX", "A ", "AA", "ANY", "TYPE1", "1"}) {
    CAPTURE(other);
    CHECK_FALSE(parse_record_type(other));
  }
}

TEST_CASE("A and AAAA data are addresses of their own family", "[records]") {
  CHECK(good(RrType::A, "192.0.2.1") == Rdata{}.raw({192, 0, 2, 1}).bytes);
  CHECK(good(RrType::AAAA, "2001:db8::1") ==
        Rdata{}.raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}).bytes);
  auto v6_as_a = parse(RrType::A, "2001:db8::1");
  CHECK(v6_as_a.message == "'2001:db8::1' is an IPv6 address: use AAAA");
  auto v4_as_aaaa = parse(RrType::AAAA, "192.0.2.1");
  CHECK(v4_as_aaaa.message == "'192.0.2.1' is an IPv4 address: use A");
  CHECK(parse(RrType::A, "300.1.1.1").message == "'300.1.1.1' is not an IPv4 address");
  CHECK(parse(RrType::AAAA, "2001:db8::g").message == "'2001:db8::g' is not an IPv6 address");
  CHECK(parse(RrType::A, "").message == "missing address");
}

TEST_CASE("CNAME and PTR data are one host name, written uncompressed", "[records]") {
  auto expected = Rdata{}.name("Target.Example").bytes;
  CHECK(good(RrType::CNAME, "Target.Example") == expected);
  CHECK(good(RrType::CNAME, "Target.Example.") == expected);
  CHECK(good(RrType::PTR, "host.lab.example") == Rdata{}.name("host.lab.example").bytes);

  auto empty = parse(RrType::CNAME, "");
  CHECK(empty.message == "missing CNAME target (a host name)");
  auto bad = parse(RrType::PTR, "a..example");
  CHECK(bad.position == 2);
  CHECK(bad.message ==
        "PTR target: empty label (two dots in a row, or a leading dot) in 'a..example'");
  auto two = parse(RrType::CNAME, "a.example b.example");
  CHECK(two.position == 9);
  CHECK(two.message ==
        "CNAME target: character not allowed in a name (letters, digits, '-', '_' and '.' are) "
        "in 'a.example b.example'");
  auto star = parse(RrType::CNAME, "*.example");
  CHECK(star.position == 0);
  CHECK_FALSE(star.message.empty());
}

TEST_CASE("MX data is PREFERENCE EXCHANGE", "[records]") {
  CHECK(good(RrType::MX, "10 mail.example") == Rdata{}.u16(10).name("mail.example").bytes);
  CHECK(good(RrType::MX, "65535\t mail.example.") == Rdata{}.u16(65535).name("mail.example").bytes);
  // RFC 7505: a null MX, "this domain takes no mail".
  CHECK(good(RrType::MX, "0 .") == Rdata{}.u16(0).name(".").bytes);

  struct Case {
    std::string text;
    std::size_t position;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", 0, "MX data: expected 'PREFERENCE EXCHANGE', e.g. '10 mail.example'"},
      {"10", 2, "MX data: expected 'PREFERENCE EXCHANGE', e.g. '10 mail.example'"},
      {"10 mail.example extra", 16,
       "MX data: expected 'PREFERENCE EXCHANGE', e.g. '10 mail.example'"},
      {"mail.example 10", 0, "MX preference 'mail.example' is not a whole number from 0 to 65535"},
      {"65536 mail.example", 0, "MX preference '65536' is not a whole number from 0 to 65535"},
      {"-1 mail.example", 0, "MX preference '-1' is not a whole number from 0 to 65535"},
      {"10 mail..example", 8,
       "MX exchange: empty label (two dots in a row, or a leading dot) in 'mail..example'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto parsed = parse(RrType::MX, c.text);
    CHECK(parsed.position == c.position);
    CHECK(parsed.message == c.message);
  }
}

TEST_CASE("SRV data is PRIORITY WEIGHT PORT TARGET", "[records]") {
  CHECK(good(RrType::SRV, "0 5 5060 sip.example") ==
        Rdata{}.u16(0).u16(5).u16(5060).name("sip.example").bytes);
  CHECK(good(RrType::SRV, "65535 65535 65535 .") ==
        Rdata{}.u16(65535).u16(65535).u16(65535).name(".").bytes);

  struct Case {
    std::string text;
    std::size_t position;
    std::string message;
  };
  const std::string usage =
      "SRV data: expected 'PRIORITY WEIGHT PORT TARGET', e.g. '0 5 5060 sip.example'";
  const std::vector<Case> cases = {
      {"0 5 5060", 8, usage},
      {"0 5 5060 sip.example x", 21, usage},
      {"x 5 5060 sip.example", 0, "SRV priority 'x' is not a whole number from 0 to 65535"},
      {"0 99999 5060 sip.example", 2, "SRV weight '99999' is not a whole number from 0 to 65535"},
      {"0 5 port sip.example", 4, "SRV port 'port' is not a whole number from 0 to 65535"},
      {"0 5 5060 sip!.example", 12,
       "SRV target: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'sip!.example'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto parsed = parse(RrType::SRV, c.text);
    CHECK(parsed.position == c.position);
    CHECK(parsed.message == c.message);
  }
}

TEST_CASE("TXT data is quoted strings or bare words, each a character-string", "[records]") {
  CHECK(good(RrType::TXT, "\"v=spf1 -all\"") == Rdata{}.string("v=spf1 -all").bytes);
  CHECK(good(RrType::TXT, "\"first\" \"second\"") ==
        Rdata{}.string("first").string("second").bytes);
  CHECK(good(RrType::TXT, "bare") == Rdata{}.string("bare").bytes);
  // Blanks separate strings, as in a zone file: two bare words are two strings.
  CHECK(good(RrType::TXT, "two\twords") == Rdata{}.string("two").string("words").bytes);
  CHECK(good(RrType::TXT, "\"\"") == Rdata{}.string("").bytes);
  CHECK(good(RrType::TXT, "\"a, b # c\"") == Rdata{}.string("a, b # c").bytes);
  CHECK(good(RrType::TXT, R"("say \"hi\"" "back\\slash")") ==
        Rdata{}.string("say \"hi\"").string("back\\slash").bytes);
  // \DDD is a byte by its decimal value; any other escaped character is itself.
  CHECK(good(RrType::TXT, R"("\065\000\255" \x)") ==
        Rdata{}.raw({3, 65, 0, 255}).string("x").bytes);
}

TEST_CASE("TXT text over 255 bytes is stored as consecutive 255-byte strings", "[records]") {
  const std::string long_text(600, 'k');
  auto rdata = good(RrType::TXT, "\"" + long_text + "\"");
  CHECK(rdata == Rdata{}
                     .string(std::string(255, 'k'))
                     .string(std::string(255, 'k'))
                     .string(std::string(90, 'k'))
                     .bytes);
  // Exactly 255 bytes stays one string.
  CHECK(good(RrType::TXT, std::string(255, 'z')) == Rdata{}.string(std::string(255, 'z')).bytes);
}

TEST_CASE("TXT RDATA is capped at 4000 bytes", "[records]") {
  // 3984 bytes of text take 16 length bytes: exactly 4000.
  CHECK(good(RrType::TXT, std::string(3984, 'a')).size() == 4000);
  auto parsed = parse(RrType::TXT, std::string(3985, 'a'));
  CHECK(parsed.message == "TXT data: longer than 4000 bytes of RDATA");
}

TEST_CASE("bad TXT data is reported at the offending character", "[records]") {
  struct Case {
    std::string text;
    std::size_t position;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", 0, "missing TXT data: write \"\" for an empty string"},
      {"\"open", 0, "TXT data: unterminated quoted string (a '\"' without its closing '\"')"},
      {"ok \"open\\\"", 3,
       "TXT data: unterminated quoted string (a '\"' without its closing '\"')"},
      {"\"a\"b", 3, "TXT data: expected a blank after the closing '\"'"},
      {"ab\"c\"", 2, "TXT data: '\"' inside an unquoted word: quote the whole string"},
      {"end\\", 3, "TXT data: '\\' at the end of the text"},
      {"\"\\256\"", 1, "TXT data: escape '\\256' is above \\255"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto parsed = parse(RrType::TXT, c.text);
    CHECK(parsed.position == c.position);
    CHECK(parsed.message == c.message);
  }
}

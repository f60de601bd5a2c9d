#include "resolver/client/format.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "support/strings.hpp"

namespace {

using namespace resolver::client;
using resolver::dns::RrType;
using test_support::contains;

BatchItem answered(std::string name, std::vector<LookupRecord> records) {
  BatchItem item;
  item.name = std::move(name);
  item.result.status = LookupStatus::Answered;
  item.result.records = std::move(records);
  item.result.elapsed = std::chrono::microseconds(1250);
  return item;
}

BatchItem failed(std::string name, LookupStatus status, std::uint32_t ttl = 0,
                 std::string detail = {}) {
  BatchItem item;
  item.name = std::move(name);
  item.result.status = status;
  item.result.ttl = ttl;
  item.result.detail = std::move(detail);
  return item;
}

const FormatContext kContext{"A", "127.0.0.1:1199"};

std::string lines(OutputFormat format, const BatchItem& item) {
  std::string out;
  append_lines(out, format, item, kContext);
  return out;
}

const BatchItem kTwoAddresses =
    answered("multi.example", {{RrType::A, "192.0.2.1", 60}, {RrType::A, "192.0.2.2", 30}});

}  // namespace

TEST_CASE("ip format prints each address on its own line", "[client]") {
  CHECK(lines(OutputFormat::Ip, kTwoAddresses) == "192.0.2.1\n192.0.2.2\n");
}

TEST_CASE("ip format gives a failed name one 'NAME: WORD' line", "[client]") {
  struct Case {
    LookupStatus status;
    std::string line;
  };
  auto [status, line] = GENERATE(values<Case>({
      {LookupStatus::NxDomain, "x.example: NXDOMAIN\n"},
      {LookupStatus::NoData, "x.example: NODATA\n"},
      {LookupStatus::ServFail, "x.example: SERVFAIL\n"},
      {LookupStatus::Refused, "x.example: REFUSED\n"},
      {LookupStatus::FormErr, "x.example: FORMERR\n"},
      {LookupStatus::Timeout, "x.example: TIMEOUT\n"},
      {LookupStatus::Error, "x.example: ERROR\n"},
  }));
  CHECK(lines(OutputFormat::Ip, failed("x.example", status)) == line);
}

TEST_CASE("ip format can leave the failure line out for interactive mode", "[client]") {
  std::string out;
  append_ip_lines(out, failed("x.example", LookupStatus::NxDomain), false);
  CHECK(out.empty());
}

TEST_CASE("record format writes name,address,ttl and the text protocol's failure lines",
          "[client]") {
  CHECK(lines(OutputFormat::Record, kTwoAddresses) ==
        "multi.example,192.0.2.1,60\nmulti.example,192.0.2.2,30\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::NxDomain, 45)) ==
        "x.example,NXDOMAIN,45\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::NoData, 30)) ==
        "x.example,NODATA,30\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::ServFail, 9)) ==
        "x.example,SERVFAIL,0\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::Error)) ==
        "x.example,SERVFAIL,0\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::Refused)) ==
        "x.example,REFUSED,0\n");
  CHECK(lines(OutputFormat::Record, failed("x.example", LookupStatus::Timeout)) ==
        "x.example,TIMEOUT,0\n");
}

TEST_CASE("record format never echoes an invalid name", "[client]") {
  CHECK(lines(OutputFormat::Record, failed("bad name", LookupStatus::FormErr)) == ",FORMERR,0\n");
}

TEST_CASE("json format writes one object with the documented keys in order", "[client]") {
  CHECK(lines(OutputFormat::Json, kTwoAddresses) ==
        R"({"name":"multi.example","type":"A","rcode":"NOERROR",)"
        R"("addresses":["192.0.2.1","192.0.2.2"],"ttl":30,"server":"127.0.0.1:1199",)"
        R"("milliseconds":1.250})"
        "\n");
}

TEST_CASE("json format reports a negative answer with its TTL and an error sentence", "[client]") {
  CHECK(lines(OutputFormat::Json, failed("x.example", LookupStatus::NxDomain, 60)) ==
        R"({"name":"x.example","type":"A","rcode":"NXDOMAIN","addresses":[],"ttl":60,)"
        R"("server":"127.0.0.1:1199","milliseconds":0.000,)"
        R"x("error":"no such name (NXDOMAIN)"})x"
        "\n");
  auto nodata = lines(OutputFormat::Json, failed("x.example", LookupStatus::NoData, 5));
  CHECK(contains(nodata, R"("rcode":"NOERROR","addresses":[],"ttl":5)"));
  auto timeout = lines(OutputFormat::Json, failed("x.example", LookupStatus::Error, 0, "boom"));
  CHECK(contains(timeout, R"("rcode":"ERROR")"));
  CHECK(contains(timeout, R"("error":"error: boom")"));
}

TEST_CASE("json format escapes names that need it", "[client]") {
  auto line = lines(OutputFormat::Json, failed("a\"b\\c\td", LookupStatus::FormErr));
  CHECK(contains(line, R"("name":"a\"b\\c\td")"));
}

TEST_CASE("json_escape escapes control characters and keeps the output valid UTF-8", "[client]") {
  CHECK(json_escape("plain.example") == "plain.example");
  CHECK(json_escape("\"\\") == "\\\"\\\\");
  CHECK(json_escape(std::string("\x01\x1f\n\r", 4)) == "\\u0001\\u001f\\n\\r");
  CHECK(json_escape(std::string_view("\0", 1)) == "\\u0000");
  CHECK(json_escape("caf\xc3\xa9") == "caf\xc3\xa9");    // valid UTF-8 kept
  CHECK(json_escape("\xe2\x82\xac") == "\xe2\x82\xac");  // three-byte sequence
  CHECK(json_escape("a\xff"
                    "b") == "a\\ufffdb");                         // not UTF-8
  CHECK(json_escape("\xc3") == "\\ufffd");                        // cut short
  CHECK(json_escape("\xc0\xaf") == "\\ufffd\\ufffd");             // overlong
  CHECK(json_escape("\xed\xa0\x80") == "\\ufffd\\ufffd\\ufffd");  // a UTF-16 surrogate
}

TEST_CASE("the failure message names the name and says why, with any detail", "[client]") {
  CHECK(failure_message(kTwoAddresses).empty());
  CHECK(failure_message(failed("x.example", LookupStatus::NxDomain)) ==
        "resolver: x.example: no such name (NXDOMAIN)\n");
  CHECK(failure_message(failed("bad..x", LookupStatus::FormErr, 0, "empty label")) ==
        "resolver: bad..x: not a valid name (FORMERR): empty label\n");
}

TEST_CASE("endpoint_text brackets IPv6 addresses", "[client]") {
  using boost::asio::ip::make_address;
  using boost::asio::ip::udp;
  CHECK(endpoint_text(udp::endpoint(make_address("192.0.2.1"), 53)) == "192.0.2.1:53");
  CHECK(endpoint_text(udp::endpoint(make_address("2001:db8::1"), 1199)) == "[2001:db8::1]:1199");
}

TEST_CASE("parse_output_format knows ip, record and json", "[client]") {
  CHECK(parse_output_format("ip") == OutputFormat::Ip);
  CHECK(parse_output_format("record") == OutputFormat::Record);
  CHECK(parse_output_format("json") == OutputFormat::Json);
  CHECK(!parse_output_format("xml"));
}

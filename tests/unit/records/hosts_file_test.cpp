#include "resolver/records/hosts_file.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "resolver/dns/rdata.hpp"

namespace {

using resolver::dns::DnsName;
using resolver::dns::RrType;
using resolver::records::LoadedRecords;
using resolver::records::parse_hosts;

std::vector<std::string> texts(const std::vector<resolver::records::Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& diagnostic : diagnostics) out.push_back(diagnostic.to_string());
  return out;
}

// "ADDRESS/TTL" for each record of `name`.
std::vector<std::string> answers(const LoadedRecords& file, std::string_view name) {
  std::vector<std::string> out;
  if (!file.records) return out;
  for (const auto& record : file.records->records_of(DnsName::from_text(name))) {
    out.push_back(resolver::dns::address_text(record).value_or("?") + "/" +
                  std::to_string(record.ttl));
  }
  return out;
}

}  // namespace

TEST_CASE("a hosts line gives every name, canonical and aliases, the line's address",
          "[records][hosts]") {
  auto file = parse_hosts(
      "# /etc/hosts\n"
      "127.0.0.1\tlocalhost\n"
      "::1     localhost ip6-localhost ip6-loopback\n"
      "\n"
      "192.0.2.10   nas.lab.example  nas   # the NAS\n"
      "  2001:db8::10 nas.lab.example\r\n"
      "192.0.2.11 Printer.Lab.Example.\n",
      "hosts", 120);
  REQUIRE(file.ok());
  CHECK(file.warnings.empty());
  CHECK(file.record_lines == 8);
  CHECK(answers(file, "localhost") == std::vector<std::string>{"127.0.0.1/120", "::1/120"});
  CHECK(answers(file, "ip6-localhost") == std::vector<std::string>{"::1/120"});
  CHECK(answers(file, "ip6-loopback") == std::vector<std::string>{"::1/120"});
  CHECK(answers(file, "nas.lab.example") ==
        std::vector<std::string>{"192.0.2.10/120", "2001:db8::10/120"});
  CHECK(answers(file, "nas") == std::vector<std::string>{"192.0.2.10/120"});
  CHECK(answers(file, "printer.lab.example") == std::vector<std::string>{"192.0.2.11/120"});
  auto records = file.records->records_of(DnsName::from_text("nas"));
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == RrType::A);
}

TEST_CASE("hosts records take the default TTL of 60 when none is given", "[records][hosts]") {
  auto file = parse_hosts("192.0.2.1 a.example\n", "hosts");
  CHECK(answers(file, "a.example") == std::vector<std::string>{"192.0.2.1/60"});
}

TEST_CASE("a name given the same address twice is one record", "[records][hosts]") {
  auto file = parse_hosts("192.0.2.1 a.example a.example\n192.0.2.1 A.EXAMPLE\n", "hosts");
  REQUIRE(file.ok());
  CHECK(file.record_lines == 3);
  CHECK(answers(file, "a.example") == std::vector<std::string>{"192.0.2.1/60"});
}

TEST_CASE("an IPv6 address with a zone is skipped with a warning, not refused",
          "[records][hosts]") {
  auto file = parse_hosts(
      "fe80::1%eth0 router.lab.example\n"
      "192.0.2.1 router.lab.example\n",
      "hosts");
  REQUIRE(file.ok());
  CHECK(texts(file.warnings) ==
        std::vector<std::string>{"hosts:1:1: warning: 'fe80::1%eth0' has a zone (after '%'), "
                                 "which DNS cannot give: line skipped"});
  CHECK(answers(file, "router.lab.example") == std::vector<std::string>{"192.0.2.1/60"});
  CHECK(file.record_lines == 1);
}

TEST_CASE("bad hosts lines are reported as FILE:LINE:COL and refuse the file", "[records][hosts]") {
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"300.1.1.1 a.example", "hosts:1:1: '300.1.1.1' is not an IPv4 or IPv6 address"},
      {"  nas.example 192.0.2.1", "hosts:1:3: 'nas.example' is not an IPv4 or IPv6 address"},
      {"192.0.2.1%eth0 a.example", "hosts:1:1: '192.0.2.1%eth0' is not an IPv4 or IPv6 address"},
      {"fe80::1% a.example", "hosts:1:1: 'fe80::1%' is not an IPv4 or IPv6 address"},
      {"192.0.2.1", "hosts:1:10: expected a host name after the address"},
      {"192.0.2.1   # only a comment", "hosts:1:10: expected a host name after the address"},
      {"192.0.2.1 good.example bad!.example",
       "hosts:1:27: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'bad!.example'"},
      {"192.0.2.1\ta..example",
       "hosts:1:13: empty label (two dots in a row, or a leading dot) "
       "in 'a..example'"},
      {"192.0.2.1 *.example",
       "hosts:1:11: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'*.example'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto file = parse_hosts("# first line\n" + c.line + "\n", "hosts");
    CHECK(file.records == nullptr);
    auto expected = c.expected;
    expected.replace(expected.find(":1:"), 3, ":2:");
    CHECK(texts(file.diagnostics) == std::vector<std::string>{expected});
  }
}

TEST_CASE("every bad hosts line is reported, and a bad line adds none of its names",
          "[records][hosts]") {
  auto file = parse_hosts(
      "192.0.2.1 ok.example\n"
      "192.0.2.2 fine.example bad!\n"
      "nonsense here\n",
      "h");
  CHECK(file.records == nullptr);
  CHECK(file.diagnostics.size() == 2);
  CHECK(file.diagnostics[0].line == 2);
  CHECK(file.diagnostics[1].line == 3);
  CHECK(file.record_lines == 1);
}

TEST_CASE("an empty hosts file or one of comments is a valid empty set", "[records][hosts]") {
  for (std::string_view text : {"", "\n\n", "# nothing\n   # here\r\n"}) {
    auto file = parse_hosts(text, "hosts");
    REQUIRE(file.ok());
    CHECK(file.records->name_count() == 0);
  }
}

#include "resolver/records/local_records.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "resolver/dns/address.hpp"
#include "resolver/dns/rdata.hpp"

namespace {

using resolver::dns::DnsName;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using resolver::records::LocalRecords;

ResourceRecord address_record(std::string_view name, std::string_view address,
                              std::uint32_t ttl = 60) {
  auto parsed = resolver::dns::parse_address(address);
  REQUIRE(parsed);
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = parsed->type;
  record.ttl = ttl;
  record.rdata = parsed->rdata;
  return record;
}

std::vector<std::string> addresses(std::span<const ResourceRecord> records) {
  std::vector<std::string> texts;
  for (const auto& record : records) texts.push_back(*resolver::dns::address_text(record));
  return texts;
}

}  // namespace

TEST_CASE("a local name is found whatever its letter case, with or without a trailing dot",
          "[records]") {
  LocalRecords local({address_record("WWW.Example.Org", "192.0.2.1")});
  for (std::string_view query :
       {"www.example.org", "www.example.org.", "WWW.EXAMPLE.ORG", "wWw.eXaMpLe.oRg."}) {
    CAPTURE(query);
    CHECK(addresses(local.find(DnsName::from_text(query))) ==
          std::vector<std::string>{"192.0.2.1"});
  }
}

TEST_CASE("several records of one name are kept in file order", "[records]") {
  LocalRecords local({
      address_record("multi.example.org", "192.0.2.2"),
      address_record("other.example.org", "198.51.100.1"),
      address_record("multi.example.org", "2001:db8::1"),
      address_record("MULTI.example.org", "192.0.2.1"),
  });
  auto found = local.find(DnsName::from_text("multi.example.org"));
  CHECK(addresses(found) == std::vector<std::string>{"192.0.2.2", "2001:db8::1", "192.0.2.1"});
  REQUIRE(found.size() == 3);
  CHECK(found[0].type == RrType::A);
  CHECK(found[1].type == RrType::AAAA);
  CHECK(found[2].type == RrType::A);
}

TEST_CASE("exact duplicate records are merged into one", "[records]") {
  LocalRecords local({
      address_record("dup.example.org", "192.0.2.1"),
      address_record("dup.example.org", "192.0.2.1"),
      address_record("DUP.Example.Org.", "192.0.2.1"),
      address_record("dup.example.org", "192.0.2.2"),
  });
  CHECK(addresses(local.find(DnsName::from_text("dup.example.org"))) ==
        std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(local.record_count() == 2);
  CHECK(local.name_count() == 1);
}

TEST_CASE("record_count counts distinct records and name_count distinct names", "[records]") {
  LocalRecords local({
      address_record("a.example.org", "192.0.2.1"),
      address_record("a.example.org", "2001:db8::1"),
      address_record("b.example.org", "192.0.2.1"),
      address_record("B.example.org", "192.0.2.2"),
      address_record("c.example.org", "192.0.2.3"),
  });
  CHECK(local.record_count() == 5);
  CHECK(local.name_count() == 3);
}

TEST_CASE("an empty set of records holds no names", "[records]") {
  LocalRecords local;
  CHECK(local.record_count() == 0);
  CHECK(local.name_count() == 0);
  CHECK(local.find(DnsName::from_text("www.example.org")).empty());

  LocalRecords built_empty(std::vector<ResourceRecord>{});
  CHECK(built_empty.name_count() == 0);
  CHECK(built_empty.find(DnsName::from_text("www.example.org")).empty());
}

TEST_CASE("an unknown name finds nothing, not even a parent or child of a local name",
          "[records]") {
  LocalRecords local({address_record("www.example.org", "192.0.2.1")});
  for (std::string_view query :
       {"unknown.example.org", "example.org", "a.www.example.org", "www.example", "org", "."}) {
    CAPTURE(query);
    CHECK(local.find(DnsName::from_text(query)).empty());
  }
}

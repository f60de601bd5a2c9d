#include "resolver/records/local_records.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "resolver/dns/address.hpp"
#include "resolver/dns/rdata.hpp"
#include "support/records.hpp"

namespace {

using resolver::dns::DnsName;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using resolver::records::EncodedRecord;
using resolver::records::LocalName;
using resolver::records::LocalRecords;
using resolver::records::LocalRecordsBuilder;
using Bytes = std::vector<std::uint8_t>;
using test_support::address_record;

LocalRecords local_of(const std::vector<ResourceRecord>& records) {
  return LocalRecords(records);
}

// The wire form of `text` as given (letter case kept).
Bytes wire_of(std::string_view text) {
  auto name = DnsName::from_text(text);
  return Bytes(name.wire().begin(), name.wire().end());
}

std::span<const std::uint8_t> span_of(const Bytes& bytes) {
  return bytes;
}

std::string address_text(const EncodedRecord& record) {
  ResourceRecord as_value;
  as_value.type = record.type();
  as_value.rdata.assign(record.rdata().begin(), record.rdata().end());
  return resolver::dns::address_text(as_value).value_or("<not an address>");
}

std::vector<std::string> addresses(const LocalName& name) {
  std::vector<std::string> texts;
  for (EncodedRecord record : name) texts.push_back(address_text(record));
  return texts;
}

std::vector<std::uint32_t> ttls(const LocalName& name) {
  std::vector<std::uint32_t> values;
  for (EncodedRecord record : name) values.push_back(record.ttl());
  return values;
}

std::string bench_name(std::size_t i) {
  return "h" + std::to_string(i) + ".bench.example";
}

std::string bench_address(std::size_t i) {
  return "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) + "." +
         std::to_string(i % 256);
}

}  // namespace

TEST_CASE("a local name is found whatever its letter case, with or without a trailing dot",
          "[records]") {
  auto local = local_of({address_record("WWW.Example.Org", "192.0.2.1")});
  for (std::string_view query :
       {"www.example.org", "www.example.org.", "WWW.EXAMPLE.ORG", "wWw.eXaMpLe.oRg."}) {
    CAPTURE(query);
    CHECK(addresses(local.find(DnsName::from_text(query))) ==
          std::vector<std::string>{"192.0.2.1"});
  }
}

TEST_CASE("find on lower-cased wire bytes agrees with find on a DnsName", "[records]") {
  auto local = local_of({address_record("WWW.Example.Org", "192.0.2.1"),
                         address_record("other.example.org", "2001:db8::1")});
  for (std::string_view query : {"www.example.org", "other.example.org", "absent.example.org"}) {
    CAPTURE(query);
    auto by_name = local.find(DnsName::from_text(query));
    auto by_wire = local.find(span_of(wire_of(query)));
    CHECK(by_wire.size() == by_name.size());
    CHECK(by_wire.wire().data() == by_name.wire().data());
    CHECK(by_wire.wire().size() == by_name.wire().size());
  }
}

TEST_CASE("find on wire bytes expects them lower-cased: upper case finds nothing", "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1")});
  CHECK(local.find(span_of(wire_of("WWW.example.org"))).empty());
  CHECK(local.find(span_of(wire_of("www.example.org"))).size() == 1);
}

TEST_CASE("an unknown name finds nothing, not even a parent or child of a local name",
          "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1")});
  for (std::string_view query :
       {"unknown.example.org", "example.org", "a.www.example.org", "www.example", "org", "."}) {
    CAPTURE(query);
    CHECK(local.find(DnsName::from_text(query)).empty());
    CHECK(local.find(span_of(wire_of(query))).empty());
    CHECK(local.records_of(DnsName::from_text(query)).empty());
  }
}

TEST_CASE("a truncated or empty wire name finds nothing", "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1")});
  Bytes wire = wire_of("www.example.org");
  for (std::size_t length = 0; length < wire.size(); ++length) {
    CAPTURE(length);
    CHECK(local.find(std::span<const std::uint8_t>(wire.data(), length)).empty());
  }
}

TEST_CASE("the lines of one name are merged in file order even when not adjacent", "[records]") {
  auto local = local_of({
      address_record("multi.example.org", "192.0.2.2"),
      address_record("other.example.org", "198.51.100.1"),
      address_record("multi.example.org", "2001:db8::1"),
      address_record("third.example.org", "198.51.100.3"),
      address_record("MULTI.example.org", "192.0.2.1"),
  });
  auto found = local.find(DnsName::from_text("multi.example.org"));
  CHECK(addresses(found) == std::vector<std::string>{"192.0.2.2", "2001:db8::1", "192.0.2.1"});
  CHECK(found.size() == 3);
  CHECK(addresses(local.find(DnsName::from_text("other.example.org"))) ==
        std::vector<std::string>{"198.51.100.1"});
  CHECK(addresses(local.find(DnsName::from_text("third.example.org"))) ==
        std::vector<std::string>{"198.51.100.3"});
  CHECK(local.name_count() == 3);
  CHECK(local.record_count() == 5);
}

TEST_CASE("A and AAAA records of one name keep their types, in file order", "[records]") {
  auto local = local_of({
      address_record("dual.example.org", "2001:db8::1"),
      address_record("dual.example.org", "192.0.2.1"),
      address_record("dual.example.org", "2001:db8::2"),
  });
  auto found = local.find(DnsName::from_text("dual.example.org"));
  std::vector<RrType> types;
  for (EncodedRecord record : found) types.push_back(record.type());
  CHECK(types == std::vector<RrType>{RrType::AAAA, RrType::A, RrType::AAAA});
  CHECK(addresses(found) == std::vector<std::string>{"2001:db8::1", "192.0.2.1", "2001:db8::2"});
  // 12 fixed bytes each, plus 16, 4 and 16 of RDATA.
  CHECK(found.wire().size() == 12 * 3 + 16 + 4 + 16);
}

TEST_CASE("exact duplicate records are merged into one, keeping the first line's TTL",
          "[records]") {
  auto local = local_of({
      address_record("dup.example.org", "192.0.2.1", 300),
      address_record("dup.example.org", "192.0.2.2", 60),
      address_record("dup.example.org", "192.0.2.1", 10),
      address_record("DUP.Example.Org.", "192.0.2.1", 20),
      address_record("dup.example.org", "192.0.2.3", 30),
  });
  auto found = local.find(DnsName::from_text("dup.example.org"));
  CHECK(addresses(found) == std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  CHECK(ttls(found) == std::vector<std::uint32_t>{300, 60, 30});
  CHECK(local.record_count() == 3);
  CHECK(local.name_count() == 1);
}

TEST_CASE("the same address as A in one name and in another name is no duplicate", "[records]") {
  auto local = local_of({
      address_record("a.example.org", "192.0.2.1"),
      address_record("b.example.org", "192.0.2.1"),
      address_record("a.example.org", "::ffff:192.0.2.1"),
  });
  CHECK(local.record_count() == 3);
  CHECK(local.find(DnsName::from_text("a.example.org")).size() == 2);
  CHECK(local.find(DnsName::from_text("b.example.org")).size() == 1);
}

TEST_CASE("merging duplicates leaves the names around them intact", "[records]") {
  // Removing records shortens one name's block; the blocks after it move to close the gap.
  std::vector<ResourceRecord> records;
  for (int i = 0; i < 50; ++i) {
    records.push_back(address_record("before" + std::to_string(i) + ".example", "192.0.2.1"));
  }
  records.push_back(address_record("dup.example", "192.0.2.7", 70));
  records.push_back(address_record("dup.example", "192.0.2.8", 80));
  records.push_back(address_record("dup.example", "192.0.2.7", 90));
  for (int i = 0; i < 50; ++i) {
    records.push_back(address_record("after" + std::to_string(i) + ".example", "2001:db8::1"));
  }
  auto local = local_of(records);
  CHECK(local.record_count() == 102);
  CHECK(local.name_count() == 101);
  CHECK(ttls(local.find(DnsName::from_text("dup.example"))) == std::vector<std::uint32_t>{70, 80});
  for (int i = 0; i < 50; ++i) {
    CAPTURE(i);
    CHECK(addresses(local.find(DnsName::from_text("before" + std::to_string(i) + ".example"))) ==
          std::vector<std::string>{"192.0.2.1"});
    CHECK(addresses(local.find(DnsName::from_text("after" + std::to_string(i) + ".example"))) ==
          std::vector<std::string>{"2001:db8::1"});
  }
}

TEST_CASE("a name with many records and many duplicates keeps each first one in file order",
          "[records]") {
  // More records than the pairwise comparison handles: the sorted path finds the duplicates.
  LocalRecordsBuilder builder;
  Bytes name = wire_of("many.example");
  std::vector<std::string> expected;
  std::vector<std::uint32_t> expected_ttls;
  for (std::uint32_t round = 0; round < 3; ++round) {
    for (std::uint8_t i = 200; i > 0; --i) {
      std::uint8_t address[4] = {192, 0, 2, i};
      builder.add(name, RrType::A, round * 1000 + i, address);
      if (round == 0) {
        expected.push_back("192.0.2." + std::to_string(i));
        expected_ttls.push_back(i);
      }
    }
  }
  CHECK(builder.added() == 600);
  auto local = std::move(builder).build();
  auto found = local.find(DnsName::from_text("many.example"));
  CHECK(found.size() == 200);
  CHECK(local.record_count() == 200);
  CHECK(addresses(found) == expected);
  CHECK(ttls(found) == expected_ttls);
}

TEST_CASE("names differing only in letter case are one name", "[records]") {
  auto local = local_of({
      address_record("Mixed.Example.Org", "192.0.2.1"),
      address_record("mixed.example.org", "192.0.2.2"),
      address_record("MIXED.EXAMPLE.ORG", "192.0.2.3"),
  });
  CHECK(local.name_count() == 1);
  CHECK(addresses(local.find(DnsName::from_text("mIxEd.example.ORG"))) ==
        std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
}

TEST_CASE("a record is encoded as in an answer section, its owner the pointer C0 0C", "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1", 3600),
                         address_record("www.example.org", "2001:db8::1", 0x01020304)});
  auto found = local.find(DnsName::from_text("www.example.org"));
  Bytes expected = {
      0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x04,  // A, IN, 3600, 4
      192,  0,    2,    1,                                                     //
      0xC0, 0x0C, 0x00, 0x1C, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x00, 0x10,  // AAAA, IN, 16
      0x20, 0x01, 0x0D, 0xB8, 0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 1,
  };
  CHECK(Bytes(found.wire().begin(), found.wire().end()) == expected);
}

TEST_CASE("EncodedRecord gives the type, TTL and RDATA of its bytes", "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1", 3600),
                         address_record("www.example.org", "2001:db8::1", 2147483647)});
  auto found = local.find(DnsName::from_text("www.example.org"));
  auto it = found.begin();
  REQUIRE(it != found.end());
  EncodedRecord a = *it;
  CHECK(a.type() == RrType::A);
  CHECK(a.ttl() == 3600);
  CHECK(Bytes(a.rdata().begin(), a.rdata().end()) == Bytes{192, 0, 2, 1});
  CHECK(a.wire.size() == EncodedRecord::kFixedSize + 4);
  ++it;
  REQUIRE(it != found.end());
  EncodedRecord aaaa = *it++;
  CHECK(aaaa.type() == RrType::AAAA);
  CHECK(aaaa.ttl() == 2147483647);
  CHECK(aaaa.rdata().size() == 16);
  CHECK(aaaa.rdata()[0] == 0x20);
  CHECK(aaaa.rdata()[15] == 0x01);
  CHECK(it == found.end());
}

TEST_CASE("records_of gives the records as values owned by the name as asked", "[records]") {
  auto local = local_of({address_record("www.example.org", "192.0.2.1", 60),
                         address_record("www.example.org", "2001:db8::1", 30)});
  auto asked = DnsName::from_text("WWW.Example.ORG");
  auto records = local.records_of(asked);
  REQUIRE(records.size() == 2);
  CHECK(records[0] == address_record("WWW.Example.ORG", "192.0.2.1", 60));
  CHECK(records[1] == address_record("WWW.Example.ORG", "2001:db8::1", 30));
  CHECK(records[0].name.identical(asked));
  CHECK(records[0].klass == resolver::dns::RrClass::IN);
}

TEST_CASE("a name of the maximum length is stored and found", "[records]") {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'B');
  REQUIRE(DnsName::from_text(name253).wire().size() == DnsName::kMaxWireLength);
  auto local = local_of(
      {address_record(name253, "192.0.2.1"), address_record("short.example", "192.0.2.2")});
  CHECK(addresses(local.find(DnsName::from_text(name253 + "."))) ==
        std::vector<std::string>{"192.0.2.1"});
  auto lowered = wire_of(name253);
  for (auto& byte : lowered) byte = static_cast<std::uint8_t>(resolver::dns::ascii_lower(byte));
  CHECK(local.find(span_of(lowered)).size() == 1);
}

TEST_CASE("an empty set of records holds no names", "[records]") {
  LocalRecords local;
  CHECK(local.record_count() == 0);
  CHECK(local.name_count() == 0);
  CHECK(local.find(DnsName::from_text("www.example.org")).empty());
  CHECK(local.find(span_of(wire_of("www.example.org"))).empty());

  LocalRecords built_empty(std::vector<ResourceRecord>{});
  CHECK(built_empty.name_count() == 0);
  CHECK(built_empty.find(DnsName::from_text("www.example.org")).empty());

  auto from_builder = LocalRecordsBuilder{}.build();
  CHECK(from_builder.record_count() == 0);
  CHECK(from_builder.find(DnsName::from_text(".")).empty());
}

TEST_CASE("100,000 names added without a size hint are all found", "[records]") {
  constexpr std::size_t kNames = 100000;
  LocalRecordsBuilder builder;
  for (std::size_t i = 0; i < kNames; ++i) {
    auto address = resolver::dns::parse_address(bench_address(i));
    builder.add(wire_of(bench_name(i)), RrType::A, static_cast<std::uint32_t>(i), address->rdata);
  }
  auto local = std::move(builder).build();
  CHECK(local.name_count() == kNames);
  CHECK(local.record_count() == kNames);
  std::size_t found = 0;
  for (std::size_t i = 0; i < kNames; ++i) {
    auto name = local.find(DnsName::from_text(bench_name(i)));
    if (name.size() == 1 && addresses(name) == std::vector<std::string>{bench_address(i)} &&
        ttls(name) == std::vector<std::uint32_t>{static_cast<std::uint32_t>(i)}) {
      ++found;
    }
  }
  CHECK(found == kNames);
  CHECK(local.find(DnsName::from_text(bench_name(kNames))).empty());
}

TEST_CASE("a single-A name costs about 60 bytes all told", "[records]") {
  constexpr std::size_t kNames = 100000;
  LocalRecordsBuilder builder;
  builder.reserve(kNames, kNames * 32);
  for (std::size_t i = 0; i < kNames; ++i) {
    auto address = resolver::dns::parse_address(bench_address(i));
    builder.add(wire_of(bench_name(i)), RrType::A, 3600, address->rdata);
  }
  auto local = std::move(builder).build();
  CAPTURE(local.memory_bytes());
  CHECK(local.memory_bytes() / kNames <= 60);
}

TEST_CASE("a size hint larger than needed does not change what is found", "[records]") {
  LocalRecordsBuilder builder;
  builder.reserve(100000, 1000000);
  builder.add(wire_of("www.example.org"), RrType::A, 60, Bytes{192, 0, 2, 1});
  auto local = std::move(builder).build();
  CHECK(addresses(local.find(DnsName::from_text("www.example.org"))) ==
        std::vector<std::string>{"192.0.2.1"});
  // The table is cut to the names actually held.
  CHECK(local.memory_bytes() < 10000);
}

TEST_CASE("the builder refuses a malformed wire name and oversized RDATA", "[records]") {
  LocalRecordsBuilder builder;
  Bytes address = {192, 0, 2, 1};
  CHECK_THROWS_AS(builder.add(Bytes{}, RrType::A, 60, address), std::invalid_argument);
  CHECK_THROWS_AS(builder.add(Bytes{3, 'w', 'w'}, RrType::A, 60, address), std::invalid_argument);
  CHECK_THROWS_AS(builder.add(Bytes{3, 'w', 'w', 'w'}, RrType::A, 60, address),
                  std::invalid_argument);
  CHECK_THROWS_AS(builder.add(Bytes{1, 'a', 0, 0}, RrType::A, 60, address), std::invalid_argument);
  CHECK_THROWS_AS(builder.add(Bytes{64, 'a', 0}, RrType::A, 60, address), std::invalid_argument);
  CHECK_THROWS_AS(builder.add(wire_of("www.example.org"), RrType::TXT, 60, Bytes(65536, 'x')),
                  std::length_error);
  CHECK(builder.added() == 0);
}

TEST_CASE("locate then find gives what find gives, for present and absent names", "[records]") {
  constexpr std::size_t kNames = 5000;
  LocalRecordsBuilder builder;
  for (std::size_t i = 0; i < kNames; ++i) {
    auto address = resolver::dns::parse_address(bench_address(i));
    builder.add(wire_of(bench_name(i)), RrType::A, 60, address->rdata);
  }
  auto local = std::move(builder).build();
  // Locations first, lookups after, as the server does for a batch.
  std::vector<Bytes> keys;
  std::vector<LocalRecords::Location> locations;
  for (std::size_t i = 0; i < kNames + 100; ++i) {
    keys.push_back(wire_of(bench_name(i)));  // bench names are lower case already
    locations.push_back(local.locate(span_of(keys.back())));
  }
  std::size_t agree = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto two_step = local.find(span_of(keys[i]), locations[i]);
    auto one_step = local.find(span_of(keys[i]));
    if (two_step.size() == one_step.size() && addresses(two_step) == addresses(one_step) &&
        two_step.empty() == (i >= kNames)) {
      ++agree;
    }
  }
  CHECK(agree == keys.size());
}

TEST_CASE("a location from another record set stays inside this one's table and still finds",
          "[records]") {
  auto small = local_of({address_record("a.example", "192.0.2.1")});
  LocalRecordsBuilder builder;
  builder.add(wire_of("a.example"), RrType::A, 60, std::vector<std::uint8_t>{192, 0, 2, 1});
  for (std::size_t i = 0; i < 1000; ++i) {
    auto address = resolver::dns::parse_address(bench_address(i));
    builder.add(wire_of(bench_name(i)), RrType::A, 60, address->rdata);
  }
  auto many = std::move(builder).build();
  // Every name of the big set, located there, then looked for in the small one: nothing is
  // found, and under AddressSanitizer nothing is read past the small table.
  std::size_t found_in_small = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    auto key = wire_of(bench_name(i));
    if (!small.find(span_of(key), many.locate(span_of(key))).empty()) ++found_in_small;
  }
  CHECK(found_in_small == 0);
  // A name in both sets is found whichever table located it.
  auto both = wire_of("a.example");
  CHECK(addresses(small.find(span_of(both), many.locate(span_of(both)))) ==
        std::vector<std::string>{"192.0.2.1"});
  CHECK(addresses(many.find(span_of(both), small.locate(span_of(both)))) ==
        std::vector<std::string>{"192.0.2.1"});
  // A default location finds nothing.
  CHECK(many.find(span_of(both), LocalRecords::Location{}).empty());
}

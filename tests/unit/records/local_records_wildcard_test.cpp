// LocalRecords::match: wildcards and closest enclosers (RFC 4592), on the example of its
// section 2.2.1 adapted to local data (no SOA, NS or delegations).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "local_zone.hpp"
#include "resolver/records/local_records.hpp"

namespace {

using local_zone::Bytes;
using local_zone::wire;
using local_zone::Zone;
using resolver::dns::RrType;
using resolver::records::EncodedRecord;
using resolver::records::LocalMatch;
using resolver::records::LocalRecords;
using Kind = LocalMatch::Kind;

// RFC 4592 2.2.1's zone, with the SOA, NS and the delegation left out.
std::shared_ptr<const LocalRecords> rfc4592_zone() {
  return Zone()
      .txt("*.example", "this is a wildcard", 3600)
      .mx("*.example", 10, "host1.example", 3600)
      .txt("sub.*.example", "this is not a wildcard", 3600)
      .address("host1.example", "192.0.2.1", 3600)
      .txt("_ssh._tcp.host1.example", "srv stand-in", 3600)
      .txt("_ssh._tcp.host2.example", "srv stand-in", 3600)
      .build();
}

Kind kind_of(const LocalRecords& records, std::string_view name) {
  Bytes key = wire(name);
  return records.match(key).kind;
}

std::vector<RrType> types_of(const LocalRecords& records, std::string_view name) {
  Bytes key = wire(name);
  std::vector<RrType> types;
  for (EncodedRecord record : records.match(key).records) types.push_back(record.type());
  return types;
}

}  // namespace

TEST_CASE("a name below a wildcard's parent that does not exist matches the wildcard",
          "[local_records][wildcard]") {
  auto zone = rfc4592_zone();
  REQUIRE(zone->has_wildcards());
  // RFC 4592 2.2.1: host3.example and foo.bar.example are synthesised from *.example.
  CHECK(kind_of(*zone, "host3.example") == Kind::Wildcard);
  CHECK(types_of(*zone, "host3.example") == std::vector<RrType>{RrType::TXT, RrType::MX});
  CHECK(kind_of(*zone, "foo.bar.example") == Kind::Wildcard);
}

TEST_CASE("a name that exists is answered by its own records, never by the wildcard",
          "[local_records][wildcard]") {
  auto zone = rfc4592_zone();
  CHECK(kind_of(*zone, "host1.example") == Kind::Exact);
  CHECK(types_of(*zone, "host1.example") == std::vector<RrType>{RrType::A});
  // `*` in the middle of a name is an ordinary label.
  CHECK(kind_of(*zone, "sub.*.example") == Kind::Exact);
  CHECK(kind_of(*zone, "*.example") == Kind::Exact);
}

TEST_CASE("empty non-terminals and a bare wildcard parent exist without records",
          "[local_records][wildcard]") {
  auto zone = rfc4592_zone();
  CHECK(kind_of(*zone, "_tcp.host1.example") == Kind::Empty);
  CHECK(kind_of(*zone, "_tcp.host2.example") == Kind::Empty);
  CHECK(kind_of(*zone, "host2.example") == Kind::Empty);  // an empty non-terminal blocks *
  CHECK(kind_of(*zone, "example") == Kind::Empty);        // the wildcard's parent itself
}

TEST_CASE("a closest encloser without a * child makes the name NXDOMAIN inside the authority",
          "[local_records][wildcard]") {
  auto zone = rfc4592_zone();
  // RFC 4592 2.2.1: _telnet._tcp.host1.example and ghost.*.example do not match.
  CHECK(kind_of(*zone, "_telnet._tcp.host1.example") == Kind::NxDomain);
  CHECK(kind_of(*zone, "ghost.*.example") == Kind::NxDomain);
  CHECK(kind_of(*zone, "a.host2.example") == Kind::NxDomain);  // below an empty non-terminal
  CHECK(kind_of(*zone, "x.y._tcp.host1.example") == Kind::NxDomain);
}

TEST_CASE("outside every wildcard's authority a missing name is not local",
          "[local_records][wildcard]") {
  auto zone = Zone()
                  .address("*.dev.example", "10.0.0.5")
                  .address("host.lab", "10.0.0.1")
                  .address("a.b.lab", "10.0.0.2")
                  .build();
  CHECK(kind_of(*zone, "x.dev.example") == Kind::Wildcard);
  CHECK(kind_of(*zone, "x.y.dev.example") == Kind::Wildcard);
  CHECK(kind_of(*zone, "dev.example") == Kind::Empty);
  CHECK(kind_of(*zone, "example") == Kind::NotLocal);      // above the parent
  CHECK(kind_of(*zone, "www.example") == Kind::NotLocal);  // beside it
  CHECK(kind_of(*zone, "x.host.lab") == Kind::NotLocal);   // below a local name
  CHECK(kind_of(*zone, "b.lab") == Kind::NotLocal);        // an empty non-terminal outside
  CHECK(kind_of(*zone, "www.google.example") == Kind::NotLocal);
}

TEST_CASE("a wildcard parent with records of its own is an exact name",
          "[local_records][wildcard]") {
  auto zone = Zone()
                  .address("dev.example", "10.0.0.1")
                  .address("*.dev.example", "10.0.0.5")
                  .address("a.b.c.dev.example", "10.0.0.6")
                  .build();
  CHECK(kind_of(*zone, "dev.example") == Kind::Exact);
  CHECK(kind_of(*zone, "c.dev.example") == Kind::Empty);
  CHECK(kind_of(*zone, "b.c.dev.example") == Kind::Empty);
  CHECK(kind_of(*zone, "x.c.dev.example") == Kind::NxDomain);
  CHECK(kind_of(*zone, "x.b.c.dev.example") == Kind::NxDomain);
  CHECK(kind_of(*zone, "z.a.b.c.dev.example") == Kind::NxDomain);  // below a name with records
  CHECK(kind_of(*zone, "x.dev.example") == Kind::Wildcard);
}

TEST_CASE("nested wildcards: the closest encloser's own * applies", "[local_records][wildcard]") {
  auto zone = Zone()
                  .txt("*.example", "outer")
                  .txt("*.lab.example", "inner")
                  .address("lab.example", "10.0.0.1")
                  .build();
  Bytes inner = wire("x.lab.example");
  auto inner_match = zone->match(inner);
  REQUIRE(inner_match.kind == Kind::Wildcard);
  EncodedRecord record = *inner_match.records.begin();
  CHECK(record.rdata()[1] == 'i');
  Bytes outer = wire("x.example");
  auto outer_match = zone->match(outer);
  REQUIRE(outer_match.kind == Kind::Wildcard);
  CHECK((*outer_match.records.begin()).rdata()[1] == 'o');
}

TEST_CASE("a wildcard at the root covers every name that does not exist",
          "[local_records][wildcard]") {
  auto zone = Zone().address("*", "10.0.0.9").address("host.lab", "10.0.0.1").build();
  CHECK(kind_of(*zone, "anything.example") == Kind::Wildcard);
  CHECK(kind_of(*zone, "lab") == Kind::Empty);
  CHECK(kind_of(*zone, "x.lab") == Kind::NxDomain);
  CHECK(kind_of(*zone, ".") == Kind::Empty);
}

TEST_CASE("a set without a * first label has no wildcard index and misses stay misses",
          "[local_records][wildcard]") {
  auto zone = Zone()
                  .txt("sub.*.example", "not a wildcard")
                  .address("**.example", "10.0.0.1")
                  .address("host.example", "10.0.0.2")
                  .build();
  CHECK_FALSE(zone->has_wildcards());
  CHECK(kind_of(*zone, "x.example") == Kind::NotLocal);
  CHECK(kind_of(*zone, "example") == Kind::NotLocal);
  CHECK(kind_of(*zone, "host.example") == Kind::Exact);
}

TEST_CASE("wildcard matching ignores letter case in the record file", "[local_records][wildcard]") {
  auto zone =
      Zone().address("*.Dev.EXAMPLE", "10.0.0.5").address("Host.DEV.example", "10.0.0.6").build();
  CHECK(kind_of(*zone, "x.dev.example") == Kind::Wildcard);
  CHECK(kind_of(*zone, "host.dev.example") == Kind::Exact);
  CHECK(kind_of(*zone, "dev.example") == Kind::Empty);
}

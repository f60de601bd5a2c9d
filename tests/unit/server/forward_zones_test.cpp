// ForwardZones: which parents a name goes to under split DNS.
#include "resolver/server/forward_zones.hpp"

#include <catch2/catch.hpp>
#include <vector>

namespace {

using resolver::dns::DnsName;
using resolver::server::ForwardZones;

ForwardZones zones_of(std::vector<const char*> texts) {
  std::vector<DnsName> domains;
  for (const char* text : texts) domains.push_back(DnsName::from_text(text));
  return ForwardZones(std::move(domains));
}

std::size_t route(const ForwardZones& zones, const char* name) {
  return zones.route_of(DnsName::from_text(name));
}

}  // namespace

TEST_CASE("a name below no forward domain takes route 0, the default parents", "[forward_zones]") {
  auto zones = zones_of({"corp.example", "168.192.in-addr.arpa"});
  CHECK(route(zones, "www.example.org") == ForwardZones::kDefaultRoute);
  CHECK(route(zones, "example") == 0);
  CHECK(route(zones, "notcorp.example") == 0);  // a suffix of the text, not of the labels
  CHECK(zones.domain_of(DnsName::from_text("www.example.org")) == nullptr);
  CHECK(route(ForwardZones(), "corp.example") == 0);
}

TEST_CASE("a forward domain routes itself and every name below it", "[forward_zones]") {
  auto zones = zones_of({"corp.example", "168.192.in-addr.arpa"});
  CHECK(route(zones, "corp.example") == 1);
  CHECK(route(zones, "a.b.corp.example") == 1);
  CHECK(route(zones, "1.1.168.192.in-addr.arpa") == 2);
}

TEST_CASE("the longest matching forward domain wins, in any order given", "[forward_zones]") {
  auto zones = zones_of({"example", "lab.corp.example", "corp.example"});
  CHECK(route(zones, "host.lab.corp.example") == 2);
  CHECK(route(zones, "host.corp.example") == 3);
  CHECK(route(zones, "host.example") == 1);
  const DnsName* domain = zones.domain_of(DnsName::from_text("x.lab.corp.example"));
  REQUIRE(domain != nullptr);
  CHECK(domain->to_text() == "lab.corp.example");
}

TEST_CASE("forward domains match without regard to letter case", "[forward_zones]") {
  auto zones = zones_of({"Corp.Example"});
  CHECK(route(zones, "WWW.CORP.example") == 1);
  CHECK(route(zones, "corp.EXAMPLE.") == 1);
  CHECK(zones.size() == 1);
  CHECK(zones.domain(0).to_text() == "Corp.Example");
}

// Reverse names, the reverse index behind automatic PTR answers, and RFC 6303's private
// reverse zones.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "local_zone.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/dns/private_reverse.hpp"
#include "resolver/dns/reverse_name.hpp"
#include "resolver/records/reverse_index.hpp"
#include "support/records.hpp"

namespace {

using local_zone::Bytes;
using local_zone::wire;
using local_zone::Zone;
using resolver::dns::address_of_reverse_name;
using resolver::dns::DnsName;
using resolver::dns::private_reverse_zone;
using resolver::records::auto_ptr;

Bytes address_bytes(std::string_view text) {
  auto parsed = resolver::dns::parse_address(text);
  REQUIRE(parsed);
  return parsed->rdata;
}

// The address a reverse name stands for, as bytes; empty when it stands for none.
Bytes reverse(std::string_view name) {
  Bytes key = wire(name);
  auto address = address_of_reverse_name(key);
  if (!address) return {};
  auto view = address->view();
  return Bytes(view.begin(), view.end());
}

std::string text_of(std::span<const std::uint8_t> wire_name) {
  std::string text;
  for (std::size_t i = 0; wire_name[i] != 0; i += 1 + wire_name[i]) {
    if (!text.empty()) text += '.';
    text.append(reinterpret_cast<const char*>(&wire_name[i + 1]), wire_name[i]);
  }
  return text;
}

std::string ptr_target(const resolver::records::LocalRecords& records, std::string_view address) {
  Bytes bytes = address_bytes(address);
  auto found = auto_ptr(records, bytes);
  return found ? text_of(found->target) : std::string("<none>");
}

const char* const kIpv6Reverse =
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";

}  // namespace

TEST_CASE("a full in-addr.arpa name is the address in reverse", "[reverse]") {
  CHECK(reverse("5.2.0.192.in-addr.arpa") == address_bytes("192.0.2.5"));
  CHECK(reverse("255.0.0.10.IN-ADDR.ARPA.") == address_bytes("10.0.0.255"));
  CHECK(reverse("0.0.0.0.in-addr.arpa") == address_bytes("0.0.0.0"));
}

TEST_CASE("the 32-nibble ip6.arpa name is the IPv6 address in reverse", "[reverse]") {
  CHECK(reverse(kIpv6Reverse) == address_bytes("2001:db8::1"));
  CHECK(reverse("F.E.D.C.B.A.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.IP6.arpa") ==
        address_bytes("2001:db8::123:4567:89ab:cdef"));
}

TEST_CASE("partial and malformed reverse names are not addresses", "[reverse]") {
  CHECK(reverse("2.0.192.in-addr.arpa").empty());      // a network
  CHECK(reverse("1.5.2.0.192.in-addr.arpa").empty());  // too many labels
  CHECK(reverse("256.2.0.192.in-addr.arpa").empty());
  CHECK(reverse("05.2.0.192.in-addr.arpa").empty());  // not canonical
  CHECK(reverse("a.2.0.192.in-addr.arpa").empty());
  CHECK(reverse("5.2.0.192.in-addr.arpa.example").empty());
  CHECK(reverse("0.8.b.d.0.1.0.0.2.ip6.arpa").empty());
  CHECK(
      reverse("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa").empty());
  CHECK(reverse("10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa").empty());
  CHECK(reverse("www.example").empty());
  CHECK(reverse("arpa").empty());
}

TEST_CASE("the reverse index finds the first name holding an IPv4 address", "[reverse]") {
  auto zone = Zone()
                  .address("first.lan", "192.168.1.10", 120)
                  .address("second.lan", "192.168.1.20")
                  .address("second.lan", "192.168.1.10", 30)  // also first.lan's address
                  .address("alias.lan", "192.168.1.10")
                  .build();
  CHECK(ptr_target(*zone, "192.168.1.10") == "first.lan");
  CHECK(auto_ptr(*zone, address_bytes("192.168.1.10"))->ttl == 120);
  CHECK(ptr_target(*zone, "192.168.1.20") == "second.lan");
  CHECK(ptr_target(*zone, "192.168.1.30") == "<none>");
  CHECK(zone->reverse_index().size() == 2);
}

TEST_CASE("the reverse index finds the first name holding an IPv6 address", "[reverse]") {
  auto zone = Zone()
                  .address("v6.lan", "2001:db8::1", 300)
                  .address("other.lan", "2001:db8::1")
                  .address("other.lan", "2001:db8::2", 30)
                  .address("v4.lan", "0.0.0.1")  // the same low bytes, another family
                  .build();
  CHECK(ptr_target(*zone, "2001:db8::1") == "v6.lan");
  CHECK(auto_ptr(*zone, address_bytes("2001:db8::1"))->ttl == 300);
  CHECK(ptr_target(*zone, "2001:db8::2") == "other.lan");
  CHECK(auto_ptr(*zone, address_bytes("2001:db8::2"))->ttl == 30);
  CHECK(ptr_target(*zone, "2001:db8::3") == "<none>");
  CHECK(ptr_target(*zone, "0.0.0.1") == "v4.lan");
}

TEST_CASE("the first name wins by first appearance, even when its address line comes later",
          "[reverse]") {
  // b.lan appears first (with another address), so it is the first name holding 10.0.0.1.
  auto zone = Zone()
                  .address("b.lan", "10.0.0.9")
                  .address("a.lan", "10.0.0.1")
                  .address("b.lan", "10.0.0.1")
                  .build();
  CHECK(ptr_target(*zone, "10.0.0.1") == "b.lan");
}

TEST_CASE("the reverse index is built once, whichever thread asks first", "[reverse]") {
  auto zone = Zone().address("host.lan", "10.0.0.1").build();
  CHECK_FALSE(zone->has_reverse_index());
  std::vector<const resolver::records::ReverseIndex*> seen(4, nullptr);
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      threads.emplace_back([&, i] { seen[i] = &zone->reverse_index(); });
    }
    for (auto& thread : threads) thread.join();
  }
  const auto* first = seen[0];
  CHECK(std::all_of(seen.begin(), seen.end(), [&](const auto* index) { return index == first; }));
  CHECK(zone->has_reverse_index());
  CHECK(first->size() == 1);
  CHECK(first->memory_bytes() > 0);
  resolver::records::LocalRecords empty;
  CHECK(empty.reverse_index().size() == 0);
}

TEST_CASE("once built, the reverse index counts in the set's memory", "[reverse]") {
  auto zone = Zone().address("host.lan", "10.0.0.1").address("nas.lan", "2001:db8::10").build();
  auto before = zone->memory_bytes();
  const auto& index = zone->reverse_index();
  CHECK(zone->memory_bytes() == before + index.memory_bytes());
}

TEST_CASE("RFC 6303 zones are private reverse zones; public reverse names are not",
          "[reverse][private]") {
  struct Case {
    const char* name;
    const char* zone;  // "" when none
  };
  for (const Case& c : std::vector<Case>{
           {"1.0.0.10.in-addr.arpa", "10.in-addr.arpa"},
           {"10.in-addr.arpa", "10.in-addr.arpa"},
           {"5.4.16.172.in-addr.arpa", "16.172.in-addr.arpa"},
           {"5.4.31.172.in-addr.arpa", "31.172.in-addr.arpa"},
           {"5.4.32.172.in-addr.arpa", ""},
           {"5.4.15.172.in-addr.arpa", ""},
           {"1.1.168.192.IN-ADDR.arpa", "168.192.in-addr.arpa"},
           {"1.0.0.127.in-addr.arpa", "127.in-addr.arpa"},
           {"1.2.3.0.in-addr.arpa", "0.in-addr.arpa"},
           {"1.1.254.169.in-addr.arpa", "254.169.in-addr.arpa"},
           {"7.2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa"},
           {"7.3.0.192.in-addr.arpa", ""},
           {"7.100.51.198.in-addr.arpa", "100.51.198.in-addr.arpa"},
           {"7.113.0.203.in-addr.arpa", "113.0.203.in-addr.arpa"},
           {"255.255.255.255.in-addr.arpa", "255.255.255.255.in-addr.arpa"},
           {"1.1.64.100.in-addr.arpa", "64.100.in-addr.arpa"},
           {"1.1.127.100.in-addr.arpa", "127.100.in-addr.arpa"},
           {"1.1.128.100.in-addr.arpa", ""},
           {"8.8.8.8.in-addr.arpa", ""},
           {"in-addr.arpa", ""},
           {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"},
           {"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
            "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"},
           {"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", ""},
           {"1.2.3.d.f.ip6.arpa", "d.f.ip6.arpa"},
           {"1.8.e.f.ip6.arpa", "8.e.f.ip6.arpa"},
           {"1.9.E.F.ip6.arpa", "9.e.f.ip6.arpa"},
           {"1.a.e.f.ip6.arpa", "a.e.f.ip6.arpa"},
           {"1.b.e.f.ip6.arpa", "b.e.f.ip6.arpa"},
           {"1.c.e.f.ip6.arpa", ""},
           {kIpv6Reverse, "8.b.d.0.1.0.0.2.ip6.arpa"},
           {"1.0.0.2.ip6.arpa", ""},
           {"www.example", ""},
       }) {
    CAPTURE(c.name);
    const DnsName* zone = private_reverse_zone(DnsName::from_text(c.name));
    if (std::string(c.zone).empty()) {
      CHECK(zone == nullptr);
    } else {
      REQUIRE(zone != nullptr);
      CHECK(zone->to_text() == c.zone);
    }
  }
  CHECK(resolver::dns::private_reverse_zones().size() == 16 + 8 + 2 + 6 + 1 + 64);
}

TEST_CASE("a set moved after its reverse index was built keeps answering from it", "[reverse]") {
  std::vector<resolver::dns::ResourceRecord> records{
      test_support::address_record("host.lan", "10.0.0.1")};
  resolver::records::LocalRecords built(records);
  CHECK(ptr_target(built, "10.0.0.1") == "host.lan");
  CHECK(built.has_reverse_index());
  resolver::records::LocalRecords moved = std::move(built);
  CHECK(moved.has_reverse_index());
  CHECK(ptr_target(moved, "10.0.0.1") == "host.lan");
}

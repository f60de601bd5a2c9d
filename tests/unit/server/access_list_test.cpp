#include "resolver/server/access_list.hpp"

#include <catch2/catch.hpp>

using resolver::server::AccessList;
using resolver::server::Cidr;

namespace {

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

}  // namespace

TEST_CASE("the default access list admits loopback and private networks only", "[acl]") {
  auto list = AccessList::private_networks();
  struct Row {
    const char* address;
    bool allowed;
  };
  auto row = GENERATE(Row{"127.0.0.1", true}, Row{"127.1.2.3", true}, Row{"10.20.30.40", true},
                      Row{"172.16.20.2", true}, Row{"172.31.255.255", true},
                      Row{"172.32.0.1", false}, Row{"192.168.1.1", true}, Row{"169.254.9.9", true},
                      Row{"100.64.0.1", true}, Row{"100.128.0.1", false}, Row{"8.8.8.8", false},
                      Row{"192.0.2.1", false}, Row{"::1", true}, Row{"fd00::5", true},
                      Row{"fe80::1", true}, Row{"2001:db8::1", false}, Row{"::ffff:10.1.1.1", true},
                      Row{"::ffff:8.8.8.8", false});
  INFO(row.address);
  CHECK(list.allows(ip(row.address)) == row.allowed);
}

TEST_CASE("a CIDR clears host bits and matches by prefix", "[acl]") {
  auto cidr = Cidr::parse("192.0.2.77/24");
  REQUIRE(cidr);
  CHECK(cidr->to_string() == "192.0.2.0/24");
  CHECK(cidr->contains(ip("192.0.2.200")));
  CHECK(!cidr->contains(ip("192.0.3.1")));
  CHECK(!cidr->contains(ip("2001:db8::1")));
  auto odd = Cidr::parse("2001:db8:8000::/33");
  REQUIRE(odd);
  CHECK(odd->contains(ip("2001:db8:ffff::1")));
  CHECK(!odd->contains(ip("2001:db8:7fff::1")));
  auto host = Cidr::parse("203.0.113.5");
  REQUIRE(host);
  CHECK(host->prefix == 32);
  CHECK(host->contains(ip("::ffff:203.0.113.5")));
  CHECK(Cidr::parse("0.0.0.0/0")->contains(ip("8.8.8.8")));
}

TEST_CASE("malformed CIDRs are rejected and named", "[acl]") {
  for (auto bad :
       {"", "300.1.1.1/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.org/8"}) {
    INFO(bad);
    CHECK(!Cidr::parse(bad));
  }
  std::string which;
  CHECK(!AccessList::parse({"10.0.0.0/8", "nonsense"}, which));
  CHECK(which == "nonsense");
  auto list = AccessList::parse({"10.0.0.0/8"}, which);
  REQUIRE(list);
  CHECK(list->allows(ip("10.9.9.9")));
  CHECK(!list->allows(ip("127.0.0.1")));
}

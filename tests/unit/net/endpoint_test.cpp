// Socket addresses written as text and read back: the client's SERVER PORT and the server's
// --parent.
#include "resolver/net/endpoint.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::udp;
using namespace resolver::net;

}  // namespace

TEST_CASE("endpoints are written with IPv6 in brackets", "[net]") {
  CHECK(endpoint_text(udp::endpoint(make_address("192.0.2.1"), 53)) == "192.0.2.1:53");
  CHECK(endpoint_text(udp::endpoint(make_address("2001:db8::1"), 53)) == "[2001:db8::1]:53");
}

TEST_CASE("an IPv4 client of a dual-stack socket is written as IPv4", "[net]") {
  CHECK(endpoint_text(udp::endpoint(make_address("::ffff:192.0.2.1"), 40000)) == "192.0.2.1:40000");
  // Only the mapped form: the deprecated IPv4-compatible ::192.0.2.1 stays IPv6.
  CHECK(endpoint_text(udp::endpoint(make_address("::192.0.2.1"), 53)) == "[::192.0.2.1]:53");
}

TEST_CASE("HOST:PORT takes IPv4, bracketed IPv6 and names", "[net]") {
  auto v4 = parse_host_port("192.0.2.1:53");
  REQUIRE(v4.endpoint);
  CHECK(*v4.endpoint == udp::endpoint(make_address("192.0.2.1"), 53));
  CHECK(v4.error.empty());

  auto v6 = parse_host_port("[2001:db8::1]:5353");
  REQUIRE(v6.endpoint);
  CHECK(*v6.endpoint == udp::endpoint(make_address("2001:db8::1"), 5353));

  auto name = parse_host_port("localhost:1199");
  REQUIRE(name.endpoint);
  CHECK(name.endpoint->address().is_loopback());
  CHECK(name.endpoint->port() == 1199);

  CHECK(parse_host_port("192.0.2.1:1").endpoint);
  CHECK(parse_host_port("192.0.2.1:65535").endpoint);
}

TEST_CASE("HOST:PORT refuses a missing or out-of-range port and unbracketed IPv6", "[net]") {
  for (const char* text : {"192.0.2.1", "192.0.2.1:", "[2001:db8::1]", "192.0.2.1:0",
                           "192.0.2.1:65536", "192.0.2.1:-1", "192.0.2.1:53x", "192.0.2.1: 53",
                           ":53", "[]:53", "2001:db8::1:53", "nonsense"}) {
    INFO(text);
    auto parsed = parse_host_port(text);
    CHECK_FALSE(parsed.endpoint);
    CHECK_FALSE(parsed.error.empty());
  }
  CHECK(parse_host_port("192.0.2.1:65536").error.find("65535") != std::string::npos);
  CHECK(parse_host_port("name.invalid:53").error.find("name.invalid") != std::string::npos);
}

TEST_CASE("a host is an address, bracketed or not, or a name resolved once", "[net]") {
  auto v4 = resolve_endpoint("127.0.0.1", 53);
  REQUIRE(v4.endpoint);
  CHECK(*v4.endpoint == udp::endpoint(make_address("127.0.0.1"), 53));
  CHECK(resolve_endpoint("::1", 53).endpoint == udp::endpoint(make_address("::1"), 53));
  CHECK(resolve_endpoint("[::1]", 53).endpoint == udp::endpoint(make_address("::1"), 53));
  auto name = resolve_endpoint("localhost", 8053);
  REQUIRE(name.endpoint);
  CHECK(name.endpoint->address().is_loopback());
  CHECK(name.endpoint->port() == 8053);

  // No host must not quietly mean this machine (getaddrinfo's reading of it).
  CHECK_FALSE(resolve_endpoint("", 53).endpoint);
  CHECK_FALSE(resolve_endpoint("[]", 53).endpoint);
  auto unknown = resolve_endpoint("no-such-host.invalid", 53);
  CHECK_FALSE(unknown.endpoint);
  CHECK_FALSE(unknown.error.empty());
}

TEST_CASE("port 0 is refused for a peer and means any free port where asked for", "[net]") {
  auto peer = parse_host_port("127.0.0.1:0");
  CHECK_FALSE(peer.endpoint);
  CHECK(peer.error == "port '0' is not a number from 1 to 65535");
  auto listen = parse_host_port("127.0.0.1:0", PortZero::AnyFree);
  REQUIRE(listen.endpoint);
  CHECK(*listen.endpoint == udp::endpoint(make_address("127.0.0.1"), 0));
  CHECK(parse_host_port("[::1]:9153", PortZero::AnyFree).endpoint->port() == 9153);
  CHECK(parse_host_port("127.0.0.1:-1", PortZero::AnyFree).error ==
        "port '-1' is not a number from 0 to 65535");
}

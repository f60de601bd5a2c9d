// AccessList: which client addresses may ask this server anything.
//
// The default admits only loopback, RFC 1918, link-local, shared address space (RFC 6598) and
// IPv6 unique-local and link-local addresses, so the course's LAN set-up works out of the box
// and the server is never an open resolver on the internet (RFC 5358). `--allow CIDR` replaces
// the default. IPv4-mapped IPv6 addresses (from a dual-stack socket) are matched as IPv4.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resolver::server {

struct Cidr {
  boost::asio::ip::address network;  // v4 or v6, host bits cleared
  unsigned prefix = 0;

  // "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const boost::asio::ip::address& address) const;
  std::string to_string() const;
};

class AccessList {
 public:
  static AccessList private_networks();
  // nullopt (and `bad` set to the offending entry) when any entry is not a CIDR.
  static std::optional<AccessList> parse(const std::vector<std::string>& entries, std::string& bad);

  bool allows(const boost::asio::ip::address& client) const;
  const std::vector<Cidr>& networks() const { return networks_; }

 private:
  std::vector<Cidr> networks_;
};

}  // namespace resolver::server

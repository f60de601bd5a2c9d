// ForwardZones: which parents a name goes to (split DNS, `--forward DOMAIN=ADDR:PORT`).
//
// Route 0 is the default parents (`--parent`, the positional parent); route i + 1 is the i-th
// forward domain. A name goes to the longest domain it is at or below, as dnsmasq's
// `server=/domain/` and Unbound's forward-zone choose; a name below no domain takes route 0.
// Pure data: the server builds one Forwarder per route and QueryHandler asks the route here.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "resolver/dns/name.hpp"

namespace resolver::server {

class ForwardZones {
 public:
  static constexpr std::size_t kDefaultRoute = 0;

  ForwardZones() = default;
  explicit ForwardZones(std::vector<dns::DnsName> domains);

  // The route of `name`; the longest matching domain wins. Route 0 when no domain matches.
  std::size_t route_of(const dns::DnsName& name) const;
  // The matching domain with the most labels, if any (route_of's choice, as a domain).
  const dns::DnsName* domain_of(const dns::DnsName& name) const;
  std::size_t size() const { return domains_.size(); }
  const dns::DnsName& domain(std::size_t index) const { return domains_[index]; }

 private:
  std::vector<dns::DnsName> domains_;
};

}  // namespace resolver::server

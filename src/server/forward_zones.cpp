#include "resolver/server/forward_zones.hpp"

namespace resolver::server {

ForwardZones::ForwardZones(std::vector<dns::DnsName> domains) : domains_(std::move(domains)) {}

const dns::DnsName* ForwardZones::domain_of(const dns::DnsName& name) const {
  const dns::DnsName* best = nullptr;
  for (const auto& domain : domains_) {
    if (!name.is_subdomain_of(domain)) continue;
    if (best == nullptr || domain.label_count() > best->label_count()) best = &domain;
  }
  return best;
}

std::size_t ForwardZones::route_of(const dns::DnsName& name) const {
  const dns::DnsName* best = domain_of(name);
  if (best == nullptr) return kDefaultRoute;
  return static_cast<std::size_t>(best - domains_.data()) + 1;
}

}  // namespace resolver::server

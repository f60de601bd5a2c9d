// The locally served reverse zones of RFC 6303 (private, loopback, link-local, documentation
// and unique-local addresses, plus RFC 6598's shared address space as RFC 7793 adds it):
// questions about them make no sense outside the site, so a resolver answers them itself
// (NXDOMAIN) instead of leaking them to a public parent.
#pragma once

#include <span>

#include "resolver/dns/name.hpp"

namespace resolver::dns {

// The zone `name` is at or below, or nullptr. The zones do not nest: at most one matches.
const DnsName* private_reverse_zone(const DnsName& name);

// Every zone, in the order of RFC 6303 4 (for the documentation and the tests).
std::span<const DnsName> private_reverse_zones();

}  // namespace resolver::dns

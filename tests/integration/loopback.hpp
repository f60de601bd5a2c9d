// Loopback socket helpers shared by the harness and the scripted parents.
#pragma once

#include <netinet/in.h>

#include <cstdint>

namespace harness {

sockaddr_in loopback(std::uint16_t port);
// A UDP socket bound to 127.0.0.1 on a port the kernel picks, written to `port`.
int bind_loopback_udp(std::uint16_t& port);

}  // namespace harness

// Unpredictable 16-bit values (the one system call in dns/: a CSPRNG has no pure substitute)
// for upstream query IDs (RFC 5452 9.2), from the kernel's CSPRNG.
#pragma once

#include <cstdint>

namespace resolver::dns {

// Draws from getrandom(2) in blocks, per thread; throws std::system_error if it fails.
std::uint16_t random_id();

}  // namespace resolver::dns

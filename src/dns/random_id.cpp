#include "resolver/dns/random_id.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <system_error>

namespace resolver::dns {

std::uint16_t random_id() {
  // A block per system call keeps the cost per upstream query negligible.
  thread_local std::array<std::uint16_t, 256> pool{};
  thread_local std::size_t next = pool.size();
  if (next == pool.size()) {
    auto* bytes = reinterpret_cast<char*>(pool.data());
    std::size_t filled = 0;
    while (filled < sizeof pool) {
      ssize_t got = getrandom(bytes + filled, sizeof pool - filled, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "getrandom");
      }
      filled += static_cast<std::size_t>(got);
    }
    next = 0;
  }
  return pool[next++];
}

}  // namespace resolver::dns

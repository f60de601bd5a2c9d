#include "resolver/server/clock.hpp"

namespace resolver::server {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace resolver::server

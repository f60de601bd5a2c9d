// The Prometheus text exposition format (version 0.0.4) of a MetricsSnapshot: pure, so a unit
// test reads it line by line and `promtool check metrics` checks it in the integration tests.
// The metric names and labels are listed in docs/operations.md.
#pragma once

#include <string>

#include "resolver/server/metrics.hpp"

namespace resolver::server {

std::string render_prometheus(const MetricsSnapshot& snapshot);

}  // namespace resolver::server

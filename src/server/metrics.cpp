#include "resolver/server/metrics.hpp"

#include <algorithm>

#include "resolver/dns/types.hpp"

namespace resolver::server {

std::string_view protocol_label(QueryProtocol protocol) {
  switch (protocol) {
    case QueryProtocol::Udp:
      return "udp";
    case QueryProtocol::Tcp:
      return "tcp";
    case QueryProtocol::Text:
      return "text";
  }
  return "udp";
}

std::string_view source_label(AnswerSource source) {
  switch (source) {
    case AnswerSource::Local:
      return "local";
    case AnswerSource::Cache:
      return "cache";
    case AnswerSource::Stale:
      return "stale";
    case AnswerSource::Parent:
      return "parent";
    case AnswerSource::Shared:
      return "shared";
    case AnswerSource::None:
      return "none";
  }
  return "none";
}

std::size_t type_slot(dns::RrType type) {
  auto found = std::find(kCountedTypes.begin(), kCountedTypes.end(), type);
  return static_cast<std::size_t>(found - kCountedTypes.begin());  // the end: "other"
}

std::string type_label(std::size_t slot) {
  if (slot < kCountedTypes.size()) return dns::type_name(kCountedTypes[slot]);
  return slot == kTextTypeSlot ? "A+AAAA" : "other";
}

std::size_t rcode_slot(dns::Rcode rcode) {
  auto value = static_cast<std::size_t>(rcode);
  return value < kRcodeSlots - 1 ? value : kRcodeSlots - 1;
}

std::string_view rcode_label(std::size_t slot) {
  static constexpr std::array<std::string_view, kRcodeSlots> kLabels{
      "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"};
  return kLabels[std::min(slot, kRcodeSlots - 1)];
}

void ParentCounters::record_latency(std::chrono::microseconds round_trip) {
  auto seconds = std::chrono::duration<double>(round_trip).count();
  auto bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  latency[static_cast<std::size_t>(bucket - kLatencyBounds.begin())].add();
  latency_sum_us.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, round_trip.count())));
}

bool MetricsSnapshot::ready() const {
  bool has_default = false;
  for (const auto& parent : parents) {
    if (parent.domain != ".") continue;
    has_default = true;
    if (parent.healthy) return true;
  }
  return !has_default;
}

void add_worker(const WorkerMetrics& worker, MetricsSnapshot& into) {
  for (std::size_t p = 0; p < kQueryProtocols; ++p) {
    for (std::size_t t = 0; t < kTypeSlots; ++t) into.queries[p][t] += worker.queries[p][t].value();
    for (std::size_t r = 0; r < kRcodeSlots; ++r) {
      into.responses[p][r] += worker.responses[p][r].value();
    }
  }
  for (std::size_t s = 0; s < kAnswerSources; ++s) into.answers[s] += worker.answers[s].value();
  into.rate_limited += worker.rate_limited.value();
  into.backlog_dropped += worker.backlog_dropped.value();
  into.refused += worker.refused.value();
  for (std::size_t p = 0; p < kQueryProtocols; ++p)
    into.malformed[p] += worker.malformed[p].value();
  into.upstream_questions += worker.upstream_questions.value();
  into.proxy[0] += worker.proxy.accepted.value();
  into.proxy[1] += worker.proxy.untrusted.value();
  into.proxy[2] += worker.proxy.malformed.value();
  into.proxy[3] += worker.proxy.missing.value();
  const auto& shared = worker.shared_cache;
  into.shared_cache.hits += shared.hits.value();
  into.shared_cache.misses += shared.misses.value();
  into.shared_cache.errors += shared.errors.value();
  into.shared_cache.timeouts += shared.timeouts.value();
  into.shared_cache.skipped += shared.skipped.value();
  into.shared_cache.stores += shared.stores.value();
  into.shared_cache.failures += shared.failures.value();
  into.shared_cache.up += shared.up.value();
  std::size_t index = 0;
  for (const auto& route : worker.parents) {
    for (const auto& counters : route) {
      if (index >= into.parents.size()) return;
      auto& parent = into.parents[index++];
      parent.queries += counters.queries.value();
      parent.timeouts += counters.timeouts.value();
      parent.failures += counters.failures.value();
      for (std::size_t b = 0; b < parent.latency.size(); ++b) {
        parent.latency[b] += counters.latency[b].value();
      }
      parent.latency_sum_us += counters.latency_sum_us.value();
    }
  }
}

}  // namespace resolver::server

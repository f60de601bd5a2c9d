#include "resolver/server/metrics_exposition.hpp"

#include <fmt/format.h>

#include <array>
#include <iterator>
#include <string_view>

namespace resolver::server {
namespace {

using Buffer = fmt::memory_buffer;

// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  // `labels` is empty or `a="b",c="d"` (values already escaped).
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  std::string text() const { return fmt::to_string(out_); }

 private:
  Buffer out_;
};

double seconds(std::uint64_t microseconds) {
  return static_cast<double>(microseconds) / 1e6;
}

void queries(Exposition& out, const MetricsSnapshot& snapshot) {
  out.family("resolver_queries_total", "counter",
             "Queries answered or refused, by protocol (udp, tcp, text) and query type.");
  for (std::size_t p = 0; p < kQueryProtocols; ++p) {
    auto protocol = protocol_label(static_cast<QueryProtocol>(p));
    for (std::size_t t = 0; t < kTypeSlots; ++t) {
      // A text query is always both addresses; DNS queries never are.
      bool text_slot = t == kTextTypeSlot;
      if (text_slot != (static_cast<QueryProtocol>(p) == QueryProtocol::Text)) continue;
      out.sample("resolver_queries_total",
                 fmt::format("protocol=\"{}\",type=\"{}\"", protocol, type_label(t)),
                 snapshot.queries[p][t]);
    }
  }
  out.family("resolver_responses_total", "counter", "Replies sent, by protocol and rcode.");
  for (std::size_t p = 0; p < kQueryProtocols; ++p) {
    auto protocol = protocol_label(static_cast<QueryProtocol>(p));
    for (std::size_t r = 0; r < kRcodeSlots; ++r) {
      out.sample("resolver_responses_total",
                 fmt::format("protocol=\"{}\",rcode=\"{}\"", protocol, rcode_label(r)),
                 snapshot.responses[p][r]);
    }
  }
  out.family("resolver_malformed_total", "counter",
             "Requests dropped or answered FORMERR because their bytes could not be read, by "
             "protocol.");
  for (std::size_t p = 0; p < kQueryProtocols; ++p) {
    out.sample("resolver_malformed_total",
               fmt::format("protocol=\"{}\"", protocol_label(static_cast<QueryProtocol>(p))),
               snapshot.malformed[p]);
  }
  out.family("resolver_answers_total", "counter",
             "Replies by where their answer came from: local data, the cache, a stale cache "
             "entry, the parents, the fleet's shared cache, or none (refused, malformed, no "
             "recursion, over the forwarding limits).");
  for (std::size_t s = 0; s < kAnswerSources; ++s) {
    out.sample("resolver_answers_total",
               fmt::format("source=\"{}\"", source_label(static_cast<AnswerSource>(s))),
               snapshot.answers[s]);
  }
  struct Plain {
    std::string_view name;
    std::string_view help;
    std::uint64_t value;
  };
  for (const auto& counter : {
           Plain{"resolver_rate_limited_total", "Requests dropped by the per-client rate limit.",
                 snapshot.rate_limited},
           Plain{"resolver_backlog_dropped_total",
                 "Queries for the parents the UDP reader dropped because its worker's event "
                 "loop had a full backlog of them (--udp-wait blocking).",
                 snapshot.backlog_dropped},
           Plain{"resolver_refused_total", "Queries refused because the client is not allowed.",
                 snapshot.refused},
           Plain{"resolver_upstream_questions_total",
                 "Questions sent to the parents (identical questions in flight count once).",
                 snapshot.upstream_questions},
       }) {
    out.family(counter.name, "counter", counter.help);
    out.sample(counter.name, "", counter.value);
  }
  out.family("resolver_proxy_headers_total", "counter",
             "PROXY v2 headers: accepted from a --proxy-from balancer, or the request dropped "
             "(untrusted sender, malformed header, header missing from a balancer).");
  static constexpr std::array<std::string_view, 4> kProxyOutcomes{"accepted", "untrusted",
                                                                  "malformed", "missing"};
  for (std::size_t i = 0; i < kProxyOutcomes.size(); ++i) {
    out.sample("resolver_proxy_headers_total", fmt::format("outcome=\"{}\"", kProxyOutcomes[i]),
               snapshot.proxy[i]);
  }
}

void shared_cache(Exposition& out, const MetricsSnapshot& snapshot) {
  const auto& shared = snapshot.shared_cache;
  out.family("resolver_shared_cache_lookups_total", "counter",
             "Lookups in the shared cache (Redis) by outcome: a fresh entry, none, an error or "
             "undecodable value, no reply in time, or not sent (down, breaker open, busy).");
  for (const auto& [outcome, value] :
       {std::pair{"hit", shared.hits}, std::pair{"miss", shared.misses},
        std::pair{"error", shared.errors}, std::pair{"timeout", shared.timeouts},
        std::pair{"skipped", shared.skipped}}) {
    out.sample("resolver_shared_cache_lookups_total", fmt::format("outcome=\"{}\"", outcome),
               value);
  }
  out.family("resolver_shared_cache_stores_total", "counter",
             "Answers of the parents sent to the shared cache.");
  out.sample("resolver_shared_cache_stores_total", "", shared.stores);
  out.family("resolver_shared_cache_failures_total", "counter",
             "Connections to Redis that failed and opened the circuit breaker.");
  out.sample("resolver_shared_cache_failures_total", "", shared.failures);
  out.family("resolver_shared_cache_up", "gauge",
             "Worker threads whose connection to Redis is up.");
  out.sample("resolver_shared_cache_up", "", shared.up);
}

std::string parent_labels(const MetricsSnapshot::Parent& parent) {
  return fmt::format("domain=\"{}\",parent=\"{}\"", escaped(parent.domain),
                     escaped(parent.address));
}

void parents(Exposition& out, const MetricsSnapshot& snapshot) {
  struct Counted {
    std::string_view name;
    std::string_view help;
    std::uint64_t MetricsSnapshot::Parent::*value;
  };
  for (const auto& counter : {
           Counted{"resolver_parent_queries_total", "Attempts sent to the parent (UDP or TCP).",
                   &MetricsSnapshot::Parent::queries},
           Counted{"resolver_parent_timeouts_total", "Attempts the parent did not answer in time.",
                   &MetricsSnapshot::Parent::timeouts},
           Counted{"resolver_parent_failures_total",
                   "Attempts that failed otherwise: port closed, SERVFAIL, REFUSED, TCP failure.",
                   &MetricsSnapshot::Parent::failures},
       }) {
    out.family(counter.name, "counter", counter.help);
    for (const auto& parent : snapshot.parents) {
      out.sample(counter.name, parent_labels(parent), parent.*counter.value);
    }
  }
  out.family("resolver_parent_latency_seconds", "histogram",
             "Time from sending an attempt to the parent to its accepted reply.");
  for (const auto& parent : snapshot.parents) {
    auto labels = parent_labels(parent);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kLatencyBounds.size(); ++b) {
      cumulative += parent.latency[b];
      out.sample("resolver_parent_latency_seconds_bucket",
                 fmt::format("{},le=\"{}\"", labels, kLatencyBounds[b]), cumulative);
    }
    cumulative += parent.latency[kLatencyBounds.size()];
    out.sample("resolver_parent_latency_seconds_bucket", fmt::format("{},le=\"+Inf\"", labels),
               cumulative);
    out.sample("resolver_parent_latency_seconds_sum", labels, seconds(parent.latency_sum_us));
    out.sample("resolver_parent_latency_seconds_count", labels, cumulative);
  }
  out.family("resolver_parent_up", "gauge",
             "1 when the parent is neither marked down after a failure nor in a forwarding loop.");
  for (const auto& parent : snapshot.parents) {
    out.sample("resolver_parent_up", parent_labels(parent), std::uint64_t{parent.healthy});
  }
  out.family("resolver_parent_looped", "gauge",
             "1 when the parent sent our loop probe back: it is never asked again.");
  for (const auto& parent : snapshot.parents) {
    out.sample("resolver_parent_looped", parent_labels(parent), std::uint64_t{parent.looped});
  }
  out.family("resolver_parent_rtt_seconds", "gauge",
             "Smoothed round-trip time to the parent (0 until measured); ranks the parents.");
  for (const auto& parent : snapshot.parents) {
    out.sample("resolver_parent_rtt_seconds", parent_labels(parent),
               seconds(parent.smoothed_rtt_us));
  }
}

void state(Exposition& out, const MetricsSnapshot& snapshot) {
  struct Gauge {
    std::string_view name;
    std::string_view help;
    std::uint64_t value;
  };
  for (const auto& gauge : {
           Gauge{"resolver_cache_entries", "Answers in the cache.", snapshot.cache_entries},
           Gauge{"resolver_cache_bytes", "Memory the cached answers take, estimated.",
                 snapshot.cache_bytes},
           Gauge{"resolver_in_flight_questions", "Questions at the parents now.",
                 snapshot.in_flight},
           Gauge{"resolver_tcp_connections", "Open client TCP connections.",
                 snapshot.tcp_connections},
           Gauge{"resolver_records", "Local records in service.", snapshot.records},
           Gauge{"resolver_names", "Names of the local records in service.", snapshot.names},
           Gauge{"resolver_threads",
                 "Workers (--threads); with --udp-wait blocking each also has a UDP reader thread.",
                 snapshot.threads},
           Gauge{"resolver_ready", "1 when /ready answers 200.", std::uint64_t{snapshot.ready()}},
       }) {
    out.family(gauge.name, "gauge", gauge.help);
    out.sample(gauge.name, "", gauge.value);
  }
  out.family("resolver_reloads_total", "counter",
             "Reloads of the local data (SIGHUP, --watch): taken, or refused for a bad file.");
  out.sample("resolver_reloads_total", "outcome=\"taken\"", snapshot.reloads_ok);
  out.sample("resolver_reloads_total", "outcome=\"refused\"", snapshot.reloads_failed);
  out.family("resolver_build_info", "gauge", "The running version, as a label.");
  out.sample("resolver_build_info", fmt::format("version=\"{}\"", escaped(RESOLVER_VERSION)),
             std::uint64_t{1});
}

}  // namespace

std::string render_prometheus(const MetricsSnapshot& snapshot) {
  Exposition out;
  queries(out, snapshot);
  parents(out, snapshot);
  shared_cache(out, snapshot);
  state(out, snapshot);
  return out.text();
}

}  // namespace resolver::server

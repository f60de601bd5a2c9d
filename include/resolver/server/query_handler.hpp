// QueryHandler: the resolution order of docs/resolution.md, without any I/O.
//
//   1. local data (records::answer_local): exact names, CNAME chains inside the data, automatic
//      PTR, wildcards; authoritative, never forwarded. A chain whose target is not local goes
//      on with the target through the steps below (FollowTarget when it must be forwarded);
//   2. RFC 6303 private reverse zones: authoritative NXDOMAIN, unless a forward domain at least
//      as specific as the zone covers the name;
//   3. the cache, fresh entries only;
//   4. the parents, when the name has some (the default parents, or its forward domain's) and
//      the client asked for recursion: `Forward`; REFUSED without recursion;
//   5. otherwise NXDOMAIN (a root).
// When a forward ends, `complete` caches what the parent said and produces the client's
// answer; if the parent failed it falls back to a stale entry (RFC 8767) or SERVFAIL.
// Several addresses of one name are rotated between answers (round robin, as dnsmasq does).
// The local records can be replaced at any time from any thread (reload); each query sees
// either the old set or the new one, whole.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/cache/cache.hpp"
#include "resolver/dns/answer.hpp"
#include "resolver/records/local_answer.hpp"
#include "resolver/records/local_records.hpp"
#include "resolver/server/forward_zones.hpp"
#include "resolver/server/metrics.hpp"

namespace resolver::server {

struct HandlerSettings {
  bool has_parent = false;
  std::uint32_t local_negative_ttl = 60;  // NXDOMAIN/NODATA TTL for names we are authoritative for
  bool serve_stale = true;
  std::uint32_t stale_ttl = 30;  // RFC 8767 4 recommends 30 seconds
  // Every local A/AAAA answers the PTR question for its address (as dnsmasq does), unless the
  // reverse name has records of its own.
  bool auto_ptr = true;
  // Split DNS: names at or below these go to their own parents (ForwardZones routes 1..n).
  std::vector<dns::DnsName> forward_domains{};
};

// AnsweredRefresh: answered from the cache, and the entry is near its end: refresh it in the
// background (prefetch).
// FollowTarget: `out` holds a local CNAME chain (authoritative) whose last target is neither
// local, nor private reverse, nor cached, and has parents: the caller forwards
// follow_target(question, out) on route_of(its name), and answers join_chain(out, complete(...))
// (complete caches the target's answer under the target's question).
enum class Resolution { Answered, AnsweredRefresh, Forward, FollowTarget };

// Where an answer resolve() gave without forwarding came from: local data is authoritative, a
// stale entry carries its Extended DNS Error, other final answers are the cache's, and the rest
// are the server's own refusals.
AnswerSource source_of(const dns::Answer& resolved);

// What the parent said, or that it could not be reached.
struct UpstreamOutcome {
  bool reached = false;
  dns::Answer answer;   // when reached
  std::string error;    // when not reached, for the log
  bool shared = false;  // reached in the shared cache (--shared-cache), not at a parent
};

class QueryHandler {
 public:
  QueryHandler(std::shared_ptr<const records::LocalRecords> local, cache::Cache& cache,
               HandlerSettings settings);

  Resolution resolve(const dns::Question& question, bool recursion_desired, cache::TimePoint now,
                     dns::Answer& out) const;
  dns::Answer complete(const dns::Question& question, const UpstreamOutcome& outcome,
                       cache::TimePoint now) const;
  // For FollowTarget: the question for the chain's last target, of the asked type.
  static dns::Question follow_target(const dns::Question& question, const dns::Answer& chain);
  // The chain followed by the target's answer; the target's rcode (RFC 6604), not authoritative.
  static dns::Answer join_chain(const dns::Answer& chain, const dns::Answer& target);
  // Which parents a name is forwarded to (ForwardZones' routes).
  std::size_t route_of(const dns::DnsName& name) const { return zones_.route_of(name); }

  // The stale answer the cache holds for `question`, when serve-stale is on.
  std::optional<dns::Answer> stale_answer(const dns::Question& question,
                                          cache::TimePoint now) const;

  // The hit path's lookup, which allocates nothing: the encoded records of a local name of the
  // asked type, in the order `resolve` would answer them (rotated the same way). False when
  // the general path must answer: the name is not local, lacks the type (a NODATA needs its
  // SOA), or has more than kMaxPlainAnswer records of it.
  static constexpr std::size_t kMaxPlainAnswer = 16;
  struct PlainAnswer {
    std::array<std::span<const std::uint8_t>, kMaxPlainAnswer> records;
    std::size_t count = 0;
    std::span<const std::span<const std::uint8_t>> view() const { return {records.data(), count}; }
  };
  // `found` is the name's lookup in the worker's records (empty when the name is not local);
  // false too when the records take more than `room` bytes (the general path truncates): the
  // rotation moves only for an answer that is sent.
  bool answer_plain(const records::LocalName& found, std::span<const std::uint8_t> lowercase_name,
                    dns::RrType type, std::size_t room, PlainAnswer& out) const;

  void replace_records(std::shared_ptr<const records::LocalRecords> local);
  std::shared_ptr<const records::LocalRecords> records() const;
  // Changes with every replace_records: a worker keeps its own reference to the records and
  // reloads it only when this moved, instead of an atomic shared_ptr load per query.
  std::uint64_t records_version() const { return records_version_.load(std::memory_order_acquire); }
  const HandlerSettings& settings() const { return settings_; }

 private:
  records::LocalOutcome answer_locally(const dns::Question& question, dns::Answer& out) const;
  Resolution resolve_target(const dns::Question& question, bool recursion_desired,
                            cache::TimePoint now, dns::Answer& out) const;
  // RFC 6303: the name is in a private reverse zone that no forward domain covers.
  bool private_reverse(const dns::DnsName& name) const;
  // The name goes to parents: the default ones, or its forward domain's.
  bool forwards(const dns::DnsName& name) const;
  void rotate(const dns::Question& question, dns::Answer& answer) const;
  std::uint32_t next_rotation(std::string_view key, dns::RrType type) const;

  std::atomic<std::shared_ptr<const records::LocalRecords>> local_;
  std::atomic<std::uint64_t> records_version_{0};
  // One counter per (name, type) slot, so questions for other names or types (stubs ask A and
  // AAAA in pairs) cannot keep a name's rotation in step; a fixed array bounds the memory.
  static constexpr std::size_t kRotationSlots = 256;
  mutable std::array<std::atomic<std::uint32_t>, kRotationSlots> rotation_{};
  cache::Cache& cache_;
  HandlerSettings settings_;
  ForwardZones zones_;
};

}  // namespace resolver::server

// Cache: answers from the parent, positive and negative, kept for their TTL.
//
// Keyed by (canonical name, type). Positive entries live for the smallest TTL of their records,
// negative ones (NXDOMAIN and NODATA, RFC 2308) for min(SOA TTL, SOA MINIMUM); both clamped by
// the settings. A TTL of 0 is never stored. Lookups return the records with the seconds left
// as their TTL. Expired entries are kept up to `max_stale` longer for serve-stale (RFC 8767).
// The cache is split into shards, each with its own lock and LRU list, so it is bounded by
// `capacity` entries whatever the query mix. Time is a parameter: no clock is read here.
// `entries` and `restore` copy the contents out and back in, for a cache file that outlives the
// process (cache_file.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/dns/answer.hpp"

namespace resolver::cache {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct CacheSettings {
  std::size_t capacity = 100'000;  // entries
  std::uint32_t min_ttl = 0;
  std::uint32_t max_ttl = 86'400;
  std::uint32_t max_negative_ttl = 3'600;
  std::chrono::seconds max_stale{86'400};
};

// One entry as held: the answer with the TTLs it arrived with (not counted down), its absolute
// expiry and the lifetime it was given (which decides when a prefetch is due).
struct CacheEntry {
  dns::Question question;
  dns::Answer answer;
  TimePoint expires;
  std::chrono::seconds lifetime{0};
};

// The canonical key of a question: its lower-cased wire name and its type (class IN is
// implied). The cache keys entries by it, the forwarder its questions in flight.
std::string question_key(const dns::Question& question);

// The entry's answer as Cache::lookup gives it at `now`, every TTL the whole seconds left;
// nullopt when less than a second is left.
std::optional<dns::Answer> answer_at(const CacheEntry& entry, TimePoint now);

class Cache {
 public:
  static constexpr std::size_t kShardCount = 16;
  static constexpr std::chrono::seconds kMinPrefetchLifetime{10};

  explicit Cache(CacheSettings settings = {});
  ~Cache();

  // Returns whether the answer was stored: only NOERROR with records, or NXDOMAIN/NODATA with a
  // SOA, and only with a TTL above 0.
  bool insert(const dns::Question& question, const dns::Answer& answer, TimePoint now);
  // How long insert() would keep `answer`, the settings' clamps applied; nullopt when it would
  // not store it.
  std::optional<std::chrono::seconds> lifetime_of(const dns::Answer& answer) const;
  // A fresh entry, TTLs counted down to `now`. `refresh_due` (if given) is set when the entry
  // is in the last tenth of a lifetime of at least kMinPrefetchLifetime: a prefetch keeps
  // popular names from ever missing.
  std::optional<dns::Answer> lookup(const dns::Question& question, TimePoint now,
                                    bool* refresh_due = nullptr);
  // An entry no older than max_stale past its expiry, TTLs set to `stale_ttl` and marked with
  // Extended DNS Error 3, Stale Answer (RFC 8767 4, RFC 8914 4.4).
  std::optional<dns::Answer> lookup_stale(const dns::Question& question, TimePoint now,
                                          std::uint32_t stale_ttl);
  std::size_t size() const;
  // An estimate of the heap the entries take (keys, records, nodes), for the metrics.
  std::size_t memory_bytes() const;
  const CacheSettings& settings() const { return settings_; }

  // Every entry still servable at `now`, fresh or within max_stale past its expiry. Within a
  // shard the least recently used comes first, so restoring them in order keeps the LRU order.
  // The question name is in lower case: the cache keeps only its canonical form.
  std::vector<CacheEntry> entries(TimePoint now) const;
  // Puts back an entry from `entries`, keeping its expiry and lifetime, evicting as insert does.
  // Applies what insert would refuse today: an uncacheable answer, an entry past max_stale, and
  // a lifetime above the current max_ttl / max_negative_ttl (shortened to it). Returns whether
  // the entry was stored.
  bool restore(const CacheEntry& entry, TimePoint now);

 private:
  struct Shard;
  Shard& shard_for(const std::string& key);
  void store(const dns::Question& question, const dns::Answer& answer, TimePoint expires,
             std::chrono::seconds lifetime);

  CacheSettings settings_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace resolver::cache

// SharedCache: a second-level cache in Redis, shared by every server of a fleet
// (--shared-cache redis://HOST:PORT; docs/scale-out.md).
//
// It stands between a worker's Forwarder and its parents (it is their ParentQueries): a
// question that missed this server's own cache is looked up in Redis first; a fresh entry
// there is the answer, as if the parents had given it, and fills the local cache as theirs
// would. Otherwise the parents are asked, and what they answer is stored in Redis for the
// others, under its cache lifetime (PX), in the cache file's encoding (cache/cache_file.hpp):
// a value must decode, and answer the very question asked, to be believed.
//
// Redis is an optimisation, never a dependency: a lookup that is not sent (connection down,
// breaker open, too many waiting) goes to the parents at once, and one that times out
// (RedisClient's timeout) goes to them then. An entry near its end (the last tenth of a
// lifetime of at least Cache::kMinPrefetchLifetime) counts as a miss, so that a prefetch asks
// the parents and renews it for the whole fleet.
//
// Keys are "resolver:1:" followed by the question's cache key (lower-case wire name, type):
// servers of one version share entries, other versions keep apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/cache/cache.hpp"
#include "resolver/server/clock.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/redis_client.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

inline constexpr std::string_view kSharedCacheKeyPrefix = "resolver:1:";

class SharedCache final : public ParentQueries {
 public:
  // `cache` decides what is worth storing and for how long (Cache::lifetime_of).
  SharedCache(RedisClient& redis, ParentQueries& parents, const cache::Cache& cache,
              const Clock& clock, SharedCacheCounters* counters = nullptr);

  void query(const dns::Question& question, Done done) override;

  static std::string key_of(const dns::Question& question);

 private:
  void ask_parents(const dns::Question& question, Done done);
  // The Redis value as an answer to `question`; nullopt (counted) when it is none.
  std::optional<dns::Answer> read_value(const dns::Question& question, const std::string& value);
  void store(const dns::Question& question, const dns::Answer& answer);

  RedisClient& redis_;
  ParentQueries& parents_;
  const cache::Cache& cache_;
  const Clock& clock_;
  SharedCacheCounters* counters_ = nullptr;
  std::vector<std::uint8_t> scratch_;  // where a stored entry's message is built
};

}  // namespace resolver::server

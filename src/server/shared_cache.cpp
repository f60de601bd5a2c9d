#include "resolver/server/shared_cache.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "resolver/cache/cache_file.hpp"

namespace resolver::server {
namespace {

void count(SharedCacheCounters* counters, Counter SharedCacheCounters::*counter) {
  if (counters != nullptr) (counters->*counter).add();
}

}  // namespace

SharedCache::SharedCache(RedisClient& redis, ParentQueries& parents, const cache::Cache& cache,
                         const Clock& clock, SharedCacheCounters* counters)
    : redis_(redis),
      parents_(parents),
      cache_(cache),
      clock_(clock),
      counters_(counters),
      scratch_(0xFFFF) {}

std::string SharedCache::key_of(const dns::Question& question) {
  return std::string(kSharedCacheKeyPrefix) + cache::question_key(question);
}

void SharedCache::query(const dns::Question& question, Done done) {
  auto key = key_of(question);
  std::array<std::string_view, 2> command{"GET", key};
  // The callback holds `done` until Redis answers or gives up; if the command is not sent it
  // is never called, and `done` goes to the parents below.
  auto shared_done = std::make_shared<Done>(std::move(done));
  bool sent = redis_.send(command, [this, question, shared_done](RedisClient::Reply reply) {
    using Kind = RedisClient::Reply::Kind;
    if (reply.kind == Kind::String) {
      if (auto answer = read_value(question, reply.text)) {
        count(counters_, &SharedCacheCounters::hits);
        (*shared_done)(UpstreamOutcome{true, std::move(*answer), {}, true});
        return;
      }
    } else if (reply.kind == Kind::Nil) {
      count(counters_, &SharedCacheCounters::misses);
    } else if (reply.kind != Kind::Failed) {
      // A Failed lookup (timed out, or cut short by a failed connection) is RedisClient's to
      // count.
      count(counters_, &SharedCacheCounters::errors);
      spdlog::debug("shared cache: GET {}: {}", question.name.to_text(), reply.text);
    }
    ask_parents(question, std::move(*shared_done));
  });
  if (!sent) {
    count(counters_, &SharedCacheCounters::skipped);
    ask_parents(question, std::move(*shared_done));
  }
}

std::optional<dns::Answer> SharedCache::read_value(const dns::Question& question,
                                                   const std::string& value) {
  auto now = clock_.now();
  cache::CacheEntry entry;
  auto error = cache::decode_cache_entry(value, now, std::chrono::system_clock::now(), entry);
  if (!error.empty() || cache::question_key(entry.question) != cache::question_key(question)) {
    count(counters_, &SharedCacheCounters::errors);
    spdlog::debug("shared cache: the value for {} is refused: {}", question.name.to_text(),
                  error.empty() ? "it answers another question" : error);
    return std::nullopt;
  }
  auto left = entry.expires - now;
  bool near_end =
      entry.lifetime >= cache::Cache::kMinPrefetchLifetime && left * 10 < entry.lifetime;
  auto answer = cache::answer_at(entry, now);
  if (!answer || near_end) {
    count(counters_, &SharedCacheCounters::misses);
    return std::nullopt;
  }
  return answer;
}

void SharedCache::ask_parents(const dns::Question& question, Done done) {
  parents_.query(question, [this, question, done = std::move(done)](UpstreamOutcome outcome) {
    if (outcome.reached) store(question, outcome.answer);
    done(std::move(outcome));
  });
}

void SharedCache::store(const dns::Question& question, const dns::Answer& answer) {
  auto lifetime = cache_.lifetime_of(answer);
  if (!lifetime) return;
  auto now = clock_.now();
  cache::CacheEntry entry{question, answer, now + *lifetime, *lifetime};
  auto value = cache::encode_cache_entry(entry, now, std::chrono::system_clock::now(), scratch_);
  if (value.empty()) return;
  auto key = key_of(question);
  auto milliseconds = std::to_string(std::chrono::milliseconds(*lifetime).count());
  std::array<std::string_view, 5> command{"SET", key, value, "PX", milliseconds};
  if (redis_.send(command, {})) count(counters_, &SharedCacheCounters::stores);
}

}  // namespace resolver::server

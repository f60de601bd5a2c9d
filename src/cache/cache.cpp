#include "resolver/cache/cache.hpp"

#include <algorithm>
#include <functional>

namespace resolver::cache {
namespace {

// What an entry holds on the heap, roughly: its key twice (the map's and the recency list's),
// the nodes around it and each record's name and data. For the metrics, not for limits.
std::size_t entry_bytes(const std::string& key, const dns::Answer& answer) {
  constexpr std::size_t kNodes = 96;  // a hash node and a list node, with their headers
  std::size_t bytes = kNodes + 2 * key.size() + sizeof(dns::Answer);
  for (const auto* section : {&answer.answers, &answer.authority}) {
    for (const auto& record : *section) {
      bytes += sizeof(record) + record.name.wire().size() + record.rdata.size();
    }
  }
  return bytes;
}

void set_ttls(dns::Answer& answer, std::uint32_t ttl) {
  for (auto& record : answer.answers) record.ttl = ttl;
  for (auto& record : answer.authority) record.ttl = ttl;
}

// What the cache keeps: NOERROR with records, or NXDOMAIN/NODATA with the SOA that gives their
// TTL (RFC 2308 5).
enum class Kind { Uncacheable, Positive, Negative };

Kind kind_of(const dns::Answer& answer) {
  if (!answer.is_final()) return Kind::Uncacheable;
  if (!answer.is_negative()) return Kind::Positive;
  return answer.authority.empty() ? Kind::Uncacheable : Kind::Negative;
}

// The question a key was made from; the key holds the name's canonical (lower-case) form.
dns::Question question_of(const std::string& key, dns::RrClass klass) {
  dns::Question question;
  question.name = dns::DnsName::from_wire(key.substr(0, key.size() - 2));
  auto high = static_cast<std::uint8_t>(key[key.size() - 2]);
  auto low = static_cast<std::uint8_t>(key[key.size() - 1]);
  question.type = dns::RrType{static_cast<std::uint16_t>(high << 8 | low)};
  question.klass = klass;
  return question;
}

}  // namespace

struct Cache::Shard {
  struct Entry {
    dns::Answer answer;
    TimePoint expires;
    std::chrono::seconds lifetime;
    std::list<std::string>::iterator recency;
    // The key has the name and type; the class completes the question for entries().
    dns::RrClass klass = dns::RrClass::IN;
    std::size_t bytes = 0;  // entry_bytes, kept so an eviction subtracts what was added
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  std::list<std::string> recency;  // most recently used first
  std::size_t capacity = 1;
  std::size_t bytes = 0;

  void erase(std::unordered_map<std::string, Entry>::iterator it) {
    bytes -= it->second.bytes;
    recency.erase(it->second.recency);
    entries.erase(it);
  }
  void touch(Entry& entry) { recency.splice(recency.begin(), recency, entry.recency); }
};

std::string question_key(const dns::Question& question) {
  std::string key = question.name.key();
  auto type = dns::to_underlying(question.type);
  key.push_back(static_cast<char>(type >> 8));
  key.push_back(static_cast<char>(type & 0xFF));
  return key;
}

Cache::Cache(CacheSettings settings) : settings_(settings) {
  // Fewer shards than kShardCount for tiny caches, so the total never exceeds the capacity.
  std::size_t shard_count = std::clamp<std::size_t>(settings_.capacity, 1, kShardCount);
  // The remainder goes one entry each to the first shards, so the shards add up to the capacity.
  for (std::size_t i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->capacity = std::max<std::size_t>(
        1, settings_.capacity / shard_count + (i < settings_.capacity % shard_count ? 1 : 0));
  }
}

Cache::~Cache() = default;

Cache::Shard& Cache::shard_for(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::optional<std::chrono::seconds> Cache::lifetime_of(const dns::Answer& answer) const {
  Kind kind = kind_of(answer);
  // A capacity of 0 means no caching; the shards hold at least one entry each otherwise.
  if (settings_.capacity == 0 || kind == Kind::Uncacheable) return std::nullopt;
  auto ttl = dns::answer_ttl(answer);
  if (!ttl || *ttl == 0) return std::nullopt;
  std::uint32_t lifetime = kind == Kind::Positive
                               ? std::clamp(*ttl, settings_.min_ttl, settings_.max_ttl)
                               : std::min(*ttl, settings_.max_negative_ttl);
  if (lifetime == 0) return std::nullopt;
  return std::chrono::seconds(lifetime);
}

bool Cache::insert(const dns::Question& question, const dns::Answer& answer, TimePoint now) {
  auto lifetime = lifetime_of(answer);
  if (!lifetime) return false;
  store(question, answer, now + *lifetime, *lifetime);
  return true;
}

std::optional<dns::Answer> answer_at(const CacheEntry& entry, TimePoint now) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(entry.expires - now);
  if (left.count() <= 0) return std::nullopt;
  dns::Answer answer = entry.answer;
  set_ttls(answer, static_cast<std::uint32_t>(std::min<std::int64_t>(left.count(), UINT32_MAX)));
  return answer;
}

bool Cache::restore(const CacheEntry& entry, TimePoint now) {
  Kind kind = kind_of(entry.answer);
  if (settings_.capacity == 0 || kind == Kind::Uncacheable) return false;
  if (entry.lifetime <= std::chrono::seconds(0) || entry.expires + settings_.max_stale < now) {
    return false;
  }
  // The clamps may have been lowered since the entry was saved; they apply to it as well.
  std::chrono::seconds longest(kind == Kind::Positive ? settings_.max_ttl
                                                      : settings_.max_negative_ttl);
  if (longest <= std::chrono::seconds(0)) return false;
  store(entry.question, entry.answer, std::min(entry.expires, now + longest),
        std::min(entry.lifetime, longest));
  return true;
}

void Cache::store(const dns::Question& question, const dns::Answer& answer, TimePoint expires,
                  std::chrono::seconds lifetime) {
  std::string key = question_key(question);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it != shard.entries.end()) shard.erase(it);
  while (shard.entries.size() >= shard.capacity)
    shard.erase(shard.entries.find(shard.recency.back()));
  shard.recency.push_front(key);
  Shard::Entry entry{
      answer, expires, lifetime, shard.recency.begin(), question.klass, entry_bytes(key, answer)};
  entry.answer.authoritative = false;
  shard.bytes += entry.bytes;
  shard.entries.emplace(std::move(key), std::move(entry));
}

std::vector<CacheEntry> Cache::entries(TimePoint now) const {
  std::vector<CacheEntry> result;
  result.reserve(size());  // a hint: workers may add or evict meanwhile
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (auto key = shard->recency.rbegin(); key != shard->recency.rend(); ++key) {
      const auto& entry = shard->entries.at(*key);
      if (entry.expires + settings_.max_stale < now) continue;
      result.push_back(
          {question_of(*key, entry.klass), entry.answer, entry.expires, entry.lifetime});
    }
  }
  return result;
}

std::optional<dns::Answer> Cache::lookup(const dns::Question& question, TimePoint now,
                                         bool* refresh_due) {
  std::string key = question_key(question);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || it->second.expires <= now) return std::nullopt;
  shard.touch(it->second);
  dns::Answer answer = it->second.answer;
  auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.expires - now);
  set_ttls(answer, static_cast<std::uint32_t>(left.count()));
  if (refresh_due != nullptr) {
    const auto lifetime = it->second.lifetime;
    *refresh_due = lifetime >= kMinPrefetchLifetime && left * 10 < lifetime;
  }
  return answer;
}

std::optional<dns::Answer> Cache::lookup_stale(const dns::Question& question, TimePoint now,
                                               std::uint32_t stale_ttl) {
  std::string key = question_key(question);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return std::nullopt;
  if (it->second.expires > now) return std::nullopt;  // still fresh: not stale
  if (it->second.expires + settings_.max_stale < now) {
    shard.erase(it);
    return std::nullopt;
  }
  dns::Answer answer = it->second.answer;
  set_ttls(answer, stale_ttl);
  answer.extended_error = dns::kEdeStaleAnswer;
  return answer;
}

std::size_t Cache::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->bytes;
  }
  return total;
}

std::size_t Cache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->entries.size();
  }
  return total;
}

}  // namespace resolver::cache

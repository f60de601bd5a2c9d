#include "resolver/cache/cache.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "resolver/dns/rdata.hpp"
#include "support/records.hpp"
#include "support/time.hpp"

namespace {

using resolver::cache::Cache;
using resolver::cache::CacheSettings;
using resolver::cache::TimePoint;
using resolver::dns::Answer;
using resolver::dns::DnsName;
using resolver::dns::Question;
using resolver::dns::Rcode;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using test_support::address_record;
using test_support::at;
using test_support::negative_with_soa;
using test_support::question;

Answer positive(std::vector<ResourceRecord> records) {
  Answer answer;
  answer.answers = std::move(records);
  return answer;
}

Answer positive(std::string_view name, std::uint32_t ttl) {
  return positive({address_record(name, "192.0.2.1", ttl)});
}

std::uint32_t ttl_of(const Answer& answer) {
  auto ttl = resolver::dns::answer_ttl(answer);
  REQUIRE(ttl);
  return *ttl;
}

std::string name_number(std::size_t i) {
  return "host" + std::to_string(i) + ".example.org";
}

}  // namespace

TEST_CASE("a fresh entry is returned with its TTL counted down to now", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 300), at(100)));
  struct Step {
    long now;
    std::uint32_t ttl;
  };
  for (auto step : {Step{100, 300}, Step{101, 299}, Step{160, 240}, Step{399, 1}}) {
    CAPTURE(step.now);
    auto hit = cache.lookup(question("www.example.org"), at(step.now));
    REQUIRE(hit);
    REQUIRE(hit->answers.size() == 1);
    CHECK(hit->answers[0].ttl == step.ttl);
    CHECK(*resolver::dns::address_text(hit->answers[0]) == "192.0.2.1");
  }
}

TEST_CASE("a part-second left is rounded down, never up", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(0)));
  auto hit = cache.lookup(question("www.example.org"), at(10) + std::chrono::milliseconds(500));
  REQUIRE(hit);
  CHECK(hit->answers[0].ttl == 49);
}

TEST_CASE("an entry lives for the smallest TTL of its records", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("multi.example.org"),
                       positive({address_record("multi.example.org", "192.0.2.1", 300),
                                 address_record("multi.example.org", "192.0.2.2", 60),
                                 address_record("multi.example.org", "192.0.2.3", 120)}),
                       at(0)));
  auto hit = cache.lookup(question("multi.example.org"), at(20));
  REQUIRE(hit);
  REQUIRE(hit->answers.size() == 3);
  for (const auto& record : hit->answers) CHECK(record.ttl == 40);
  CHECK_FALSE(cache.lookup(question("multi.example.org"), at(60)));
}

TEST_CASE("an entry misses at exactly its expiry", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(1000)));
  auto last = cache.lookup(question("www.example.org"), at(1059));
  REQUIRE(last);
  CHECK(last->answers[0].ttl == 1);
  CHECK_FALSE(cache.lookup(question("www.example.org"), at(1060)));
  CHECK_FALSE(cache.lookup(question("www.example.org"), at(1061)));
}

TEST_CASE("a TTL of 0 is never cached, whatever min_ttl says", "[cache]") {
  for (std::uint32_t min_ttl : {0u, 60u}) {
    CAPTURE(min_ttl);
    CacheSettings settings;
    settings.min_ttl = min_ttl;
    Cache cache(settings);
    CHECK_FALSE(cache.insert(question("zero.example.org"), positive("zero.example.org", 0), at(0)));
    CHECK_FALSE(cache.insert(question("nx.example.org"), negative_with_soa(Rcode::NxDomain, 0, 300),
                             at(0)));
    CHECK_FALSE(cache.insert(question("nx.example.org"), negative_with_soa(Rcode::NxDomain, 300, 0),
                             at(0)));
    CHECK(cache.size() == 0);
    CHECK_FALSE(cache.lookup(question("zero.example.org"), at(0)));
    CHECK_FALSE(cache.lookup(question("nx.example.org"), at(0)));
  }
}

TEST_CASE("min_ttl and max_ttl clamp the lifetime of positive entries", "[cache]") {
  struct Case {
    std::uint32_t min_ttl;
    std::uint32_t max_ttl;
    std::uint32_t record_ttl;
    std::uint32_t lifetime;
  };
  const std::vector<Case> cases = {
      {0, 86400, 300, 300},  {60, 86400, 10, 60}, {60, 86400, 60, 60}, {0, 3600, 86400, 3600},
      {0, 3600, 3600, 3600}, {30, 120, 90, 90},   {30, 120, 1, 30},    {30, 120, 2147483647, 120},
  };
  for (const auto& c : cases) {
    CAPTURE(c.min_ttl, c.max_ttl, c.record_ttl);
    CacheSettings settings;
    settings.min_ttl = c.min_ttl;
    settings.max_ttl = c.max_ttl;
    Cache cache(settings);
    REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", c.record_ttl),
                         at(0)));
    auto hit = cache.lookup(question("www.example.org"), at(0));
    REQUIRE(hit);
    CHECK(hit->answers[0].ttl == c.lifetime);
    CHECK(cache.lookup(question("www.example.org"), at(c.lifetime - 1)));
    CHECK_FALSE(cache.lookup(question("www.example.org"), at(c.lifetime)));
  }
}

TEST_CASE("a negative entry lives for min(SOA TTL, SOA MINIMUM) capped by max_negative_ttl",
          "[cache]") {
  struct Case {
    Rcode rcode;
    std::uint32_t soa_ttl;
    std::uint32_t minimum;
    std::uint32_t max_negative_ttl;
    std::uint32_t lifetime;
  };
  const std::vector<Case> cases = {
      {Rcode::NxDomain, 300, 900, 3600, 300},     {Rcode::NxDomain, 900, 300, 3600, 300},
      {Rcode::NxDomain, 7200, 7200, 3600, 3600},  {Rcode::NxDomain, 600, 600, 60, 60},
      {Rcode::NoError, 300, 900, 3600, 300},      {Rcode::NoError, 900, 300, 3600, 300},
      {Rcode::NoError, 86400, 86400, 3600, 3600},
  };
  for (const auto& c : cases) {
    CAPTURE(resolver::dns::to_underlying(c.rcode), c.soa_ttl, c.minimum, c.max_negative_ttl);
    CacheSettings settings;
    settings.max_negative_ttl = c.max_negative_ttl;
    Cache cache(settings);
    REQUIRE(cache.insert(question("gone.example.org"),
                         negative_with_soa(c.rcode, c.soa_ttl, c.minimum), at(0)));
    auto hit = cache.lookup(question("gone.example.org"), at(0));
    REQUIRE(hit);
    CHECK(hit->rcode == c.rcode);
    CHECK(hit->answers.empty());
    REQUIRE(hit->authority.size() == 1);
    CHECK(hit->authority[0].type == RrType::SOA);
    CHECK(ttl_of(*hit) == c.lifetime);
    auto later = cache.lookup(question("gone.example.org"), at(c.lifetime - 1));
    REQUIRE(later);
    CHECK(ttl_of(*later) == 1);
    CHECK_FALSE(cache.lookup(question("gone.example.org"), at(c.lifetime)));
  }
}

TEST_CASE("a negative answer without a SOA is not cached", "[cache]") {
  Answer nxdomain = resolver::dns::failure_answer(Rcode::NxDomain);
  Answer nodata;  // NOERROR, no records, no authority
  Answer ns_only = resolver::dns::failure_answer(Rcode::NxDomain);
  ResourceRecord ns;
  ns.name = DnsName::from_text("example.org");
  ns.type = RrType::NS;
  ns.ttl = 300;
  ns.rdata = {3, 'n', 's', '1', 0};
  ns_only.authority.push_back(ns);

  Cache cache;
  CHECK_FALSE(cache.insert(question("a.example.org"), nxdomain, at(0)));
  CHECK_FALSE(cache.insert(question("b.example.org"), nodata, at(0)));
  CHECK_FALSE(cache.insert(question("c.example.org"), ns_only, at(0)));
  CHECK(cache.size() == 0);
}

TEST_CASE("SERVFAIL and other failures are never cached", "[cache]") {
  Cache cache;
  for (Rcode rcode : {Rcode::ServFail, Rcode::Refused, Rcode::FormErr, Rcode::NotImp}) {
    CAPTURE(resolver::dns::to_underlying(rcode));
    CHECK_FALSE(
        cache.insert(question("fail.example.org"), resolver::dns::failure_answer(rcode), at(0)));
    // Not even when the failure carries records or a SOA.
    Answer with_records = positive("fail.example.org", 300);
    with_records.rcode = rcode;
    CHECK_FALSE(cache.insert(question("fail.example.org"), with_records, at(0)));
    CHECK_FALSE(
        cache.insert(question("fail.example.org"), negative_with_soa(rcode, 300, 300), at(0)));
  }
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.lookup(question("fail.example.org"), at(0)));
}

TEST_CASE("cached answers are never marked authoritative", "[cache]") {
  Cache cache;
  Answer answer = positive("www.example.org", 300);
  answer.authoritative = true;
  REQUIRE(cache.insert(question("www.example.org"), answer, at(0)));
  auto hit = cache.lookup(question("www.example.org"), at(1));
  REQUIRE(hit);
  CHECK_FALSE(hit->authoritative);
}

TEST_CASE("an expired entry is served stale within max_stale with the stale TTL", "[cache]") {
  CacheSettings settings;
  settings.max_stale = std::chrono::seconds(100);
  Cache cache(settings);
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(0)));
  for (long now : {60L, 61L, 120L, 160L}) {
    CAPTURE(now);
    CHECK_FALSE(cache.lookup(question("www.example.org"), at(now)));
    auto stale = cache.lookup_stale(question("www.example.org"), at(now), 30);
    REQUIRE(stale);
    REQUIRE(stale->answers.size() == 1);
    CHECK(stale->answers[0].ttl == 30);
    CHECK(*resolver::dns::address_text(stale->answers[0]) == "192.0.2.1");
  }
}

TEST_CASE("an entry older than max_stale is not served stale", "[cache]") {
  CacheSettings settings;
  settings.max_stale = std::chrono::seconds(100);
  Cache cache(settings);
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(0)));
  CHECK_FALSE(cache.lookup_stale(question("www.example.org"), at(161), 30));
  CHECK_FALSE(cache.lookup_stale(question("www.example.org"), at(10'000), 30));
  CHECK(cache.size() == 0);  // dropped once found too old
}

TEST_CASE("a stale negative entry is served with the stale TTL", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("gone.example.org"), negative_with_soa(Rcode::NxDomain, 60, 60),
                       at(0)));
  auto stale = cache.lookup_stale(question("gone.example.org"), at(500), 30);
  REQUIRE(stale);
  CHECK(stale->rcode == Rcode::NxDomain);
  CHECK(ttl_of(*stale) == 30);
}

TEST_CASE("lookup_stale of an unknown question finds nothing", "[cache]") {
  Cache cache;
  CHECK_FALSE(cache.lookup_stale(question("www.example.org"), at(0), 30));
}

TEST_CASE("size never exceeds capacity, checked after every insert", "[cache]") {
  for (std::size_t capacity : {1u, 2u, 7u, 15u, 16u, 17u, 64u, 100u, 1000u}) {
    CAPTURE(capacity);
    CacheSettings settings;
    settings.capacity = capacity;
    Cache cache(settings);
    std::size_t largest = 0;
    for (std::size_t i = 0; i < capacity * 10; ++i) {
      REQUIRE(cache.insert(question(name_number(i)), positive(name_number(i), 300), at(0)));
      std::size_t size = cache.size();
      REQUIRE(size <= capacity);
      largest = std::max(largest, size);
    }
    // Bounded, but still in use: at least one entry per shard survives.
    CHECK(largest >= std::min<std::size_t>(capacity, Cache::kShardCount));
  }
}

TEST_CASE("capacity smaller than the shard count still bounds the size", "[cache]") {
  for (std::size_t capacity = 1; capacity < Cache::kShardCount; ++capacity) {
    CAPTURE(capacity);
    CacheSettings settings;
    settings.capacity = capacity;
    Cache cache(settings);
    for (std::size_t i = 0; i < 10 * Cache::kShardCount; ++i) {
      cache.insert(question(name_number(i)), positive(name_number(i), 300), at(0));
      REQUIRE(cache.size() <= capacity);
    }
  }
}

TEST_CASE("a capacity of 0 caches nothing", "[cache]") {
  CacheSettings settings;
  settings.capacity = 0;
  Cache cache(settings);
  CHECK_FALSE(cache.insert(question("www.example.org"), positive("www.example.org", 300), at(0)));
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.lookup(question("www.example.org"), at(0)));
}

TEST_CASE("the most recently used entry survives eviction", "[cache]") {
  CacheSettings settings;
  settings.capacity = 4 * Cache::kShardCount;
  Cache cache(settings);
  auto kept = question("kept.example.org");
  REQUIRE(cache.insert(kept, positive("kept.example.org", 300), at(0)));
  // Touch it before every insert: whichever shard it is in, it is never the least recently used
  // there, so it must never be the one evicted.
  for (std::size_t i = 0; i < settings.capacity * 10; ++i) {
    CAPTURE(i);
    REQUIRE(cache.lookup(kept, at(1)));
    cache.insert(question(name_number(i)), positive(name_number(i), 300), at(1));
  }
  CHECK(cache.lookup(kept, at(2)));
  CHECK(cache.size() <= settings.capacity);
}

TEST_CASE("an entry that is never used again is evicted by newer ones", "[cache]") {
  CacheSettings settings;
  settings.capacity = 4 * Cache::kShardCount;
  Cache cache(settings);
  auto forgotten = question("forgotten.example.org");
  REQUIRE(cache.insert(forgotten, positive("forgotten.example.org", 300), at(0)));
  for (std::size_t i = 0; i < settings.capacity * 10; ++i) {
    cache.insert(question(name_number(i)), positive(name_number(i), 300), at(1));
  }
  CHECK_FALSE(cache.lookup(forgotten, at(2)));
}

TEST_CASE("cache keys ignore letter case and the trailing dot", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("WWW.Example.ORG"), positive("WWW.Example.ORG", 300), at(0)));
  for (std::string_view name : {"www.example.org", "www.example.org.", "WWW.EXAMPLE.ORG"}) {
    CAPTURE(name);
    CHECK(cache.lookup(question(name), at(1)));
  }
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 600), at(0)));
  CHECK(cache.size() == 1);  // the same key, replaced
}

TEST_CASE("different types of one name are separate entries", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org", RrType::A), positive("www.example.org", 300),
                       at(0)));
  CHECK_FALSE(cache.lookup(question("www.example.org", RrType::AAAA), at(1)));
  REQUIRE(cache.insert(question("www.example.org", RrType::AAAA),
                       positive({address_record("www.example.org", "2001:db8::1", 60)}), at(0)));
  CHECK(cache.size() == 2);
  auto a = cache.lookup(question("www.example.org", RrType::A), at(1));
  auto aaaa = cache.lookup(question("www.example.org", RrType::AAAA), at(1));
  REQUIRE(a);
  REQUIRE(aaaa);
  CHECK(a->answers[0].type == RrType::A);
  CHECK(a->answers[0].ttl == 299);
  CHECK(aaaa->answers[0].type == RrType::AAAA);
  CHECK(aaaa->answers[0].ttl == 59);
}

TEST_CASE("inserting a question again replaces its entry", "[cache]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(0)));
  REQUIRE(cache.insert(question("www.example.org"),
                       positive({address_record("www.example.org", "198.51.100.7", 300)}), at(10)));
  CHECK(cache.size() == 1);
  auto hit = cache.lookup(question("www.example.org"), at(100));
  REQUIRE(hit);
  REQUIRE(hit->answers.size() == 1);
  CHECK(*resolver::dns::address_text(hit->answers[0]) == "198.51.100.7");
  CHECK(hit->answers[0].ttl == 210);
}

TEST_CASE("refresh_due is set only in the last tenth of a lifetime of at least 10 s",
          "[cache][prefetch]") {
  using std::chrono::milliseconds;
  struct Row {
    std::uint32_t lifetime;
    long now_ms;  // since the insert
    bool due;
  };
  static_assert(Cache::kMinPrefetchLifetime == std::chrono::seconds(10));
  auto row = GENERATE(Row{100, 0, false}, Row{100, 50'000, false}, Row{100, 89'999, false},
                      Row{100, 90'000, false},  // exactly a tenth left: not yet
                      Row{100, 90'001, true}, Row{100, 95'000, true}, Row{100, 99'999, true},
                      Row{3600, 3'000'000, false}, Row{3600, 3'240'001, true}, Row{10, 0, false},
                      Row{10, 9'000, false}, Row{10, 9'001, true}, Row{10, 9'999, true},
                      // Under kMinPrefetchLifetime: never, however close to the end.
                      Row{9, 0, false}, Row{9, 8'500, false}, Row{9, 8'999, false},
                      Row{1, 999, false}, Row{5, 4'999, false});
  CAPTURE(row.lifetime, row.now_ms);
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", row.lifetime),
                       at(1000)));
  bool due = !row.due;  // lookup must set it either way
  auto hit = cache.lookup(question("www.example.org"), at(1000) + milliseconds(row.now_ms), &due);
  REQUIRE(hit);
  CHECK(due == row.due);
}

TEST_CASE("refresh_due follows the clamped lifetime, not the record's TTL", "[cache][prefetch]") {
  CacheSettings settings;
  settings.min_ttl = 100;
  Cache cache(settings);
  // TTL 5 would be too short to prefetch; min_ttl makes the entry live 100 s.
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 5), at(0)));
  bool due = true;
  REQUIRE(cache.lookup(question("www.example.org"), at(4), &due));
  CHECK_FALSE(due);
  REQUIRE(cache.lookup(question("www.example.org"), at(95), &due));
  CHECK(due);
}

TEST_CASE("refresh_due applies to negative entries too", "[cache][prefetch]") {
  Cache cache;
  REQUIRE(cache.insert(question("gone.example.org"), negative_with_soa(Rcode::NxDomain, 60, 60),
                       at(0)));
  bool due = true;
  REQUIRE(cache.lookup(question("gone.example.org"), at(30), &due));
  CHECK_FALSE(due);
  REQUIRE(cache.lookup(question("gone.example.org"), at(55), &due));
  CHECK(due);
}

TEST_CASE("a lookup without a refresh_due pointer still works", "[cache][prefetch]") {
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 100), at(0)));
  CHECK(cache.lookup(question("www.example.org"), at(99)));
  CHECK(cache.lookup(question("www.example.org"), at(99), nullptr));
}

TEST_CASE("a stale answer is marked with Extended DNS Error 3, a fresh one is not",
          "[cache][stale]") {
  STATIC_REQUIRE(resolver::dns::kEdeStaleAnswer == 3);  // RFC 8914 4.4
  Cache cache;
  REQUIRE(cache.insert(question("www.example.org"), positive("www.example.org", 60), at(0)));
  REQUIRE(cache.insert(question("gone.example.org"), negative_with_soa(Rcode::NxDomain, 60, 60),
                       at(0)));
  for (const char* name : {"www.example.org", "gone.example.org"}) {
    CAPTURE(name);
    auto fresh = cache.lookup(question(name), at(10));
    REQUIRE(fresh);
    CHECK_FALSE(fresh->extended_error.has_value());

    auto stale = cache.lookup_stale(question(name), at(100), 30);
    REQUIRE(stale);
    CHECK(stale->extended_error == resolver::dns::kEdeStaleAnswer);
  }
}

TEST_CASE("serving an entry stale does not mark it once it is fresh again", "[cache][stale]") {
  Cache cache;
  auto q = question("www.example.org");
  REQUIRE(cache.insert(q, positive("www.example.org", 60), at(0)));
  REQUIRE(cache.lookup_stale(q, at(100), 30));
  REQUIRE(cache.insert(q, positive("www.example.org", 60), at(101)));
  auto fresh = cache.lookup(q, at(102));
  REQUIRE(fresh);
  CHECK_FALSE(fresh->extended_error.has_value());
}

TEST_CASE("the memory estimate grows with what is stored and falls back as it goes",
          "[cache][metrics]") {
  CacheSettings settings;
  settings.capacity = 16;  // one entry per shard
  Cache cache(settings);
  CHECK(cache.memory_bytes() == 0);
  REQUIRE(cache.insert(question("a.example.org"), positive("a.example.org", 300), at(0)));
  auto one = cache.memory_bytes();
  CHECK(one > 0);
  REQUIRE(cache.insert(question("a.example.org"),
                       positive({address_record("a.example.org", "192.0.2.1"),
                                 address_record("a.example.org", "192.0.2.2")}),
                       at(0)));
  auto replaced = cache.memory_bytes();
  CHECK(replaced > one);  // the same entry, one record more
  for (std::size_t i = 0; i < 200; ++i) {
    cache.insert(question(name_number(i)), positive(name_number(i), 300), at(0));
  }
  // Evictions give back what their entries took: the total stays that of `capacity` entries.
  CHECK(cache.size() <= settings.capacity);
  CHECK(cache.memory_bytes() <= settings.capacity * replaced);
}

#include "resolver/cache/cache_file.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "support/records.hpp"

namespace {

using namespace std::chrono_literals;
using resolver::cache::Cache;
using resolver::cache::CacheEntry;
using resolver::cache::CacheSettings;
using resolver::cache::decode_cache_file;
using resolver::cache::encode_cache_file;
using resolver::cache::TimePoint;
using resolver::cache::WallClock;
using resolver::dns::Answer;
using resolver::dns::DnsName;
using resolver::dns::Question;
using resolver::dns::Rcode;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using test_support::address_record;
using test_support::cname_record;
using test_support::question;
using test_support::soa_record;

// The moment of saving on both clocks, and of loading in a later process whose steady clock
// started elsewhere.
const TimePoint kSaveSteady = TimePoint{} + 1000h;
const WallClock::time_point kSaveWall = WallClock::time_point{} + 1'700'000'000s;
const TimePoint kLoadSteady = TimePoint{} + 5s;

CacheEntry entry(Question asked, Answer answer, std::chrono::seconds left,
                 std::chrono::seconds lifetime) {
  return CacheEntry{std::move(asked), std::move(answer), kSaveSteady + left, lifetime};
}

CacheEntry positive_entry() {
  Answer answer;
  answer.answers = {address_record("www.example.org", "192.0.2.1", 300),
                    address_record("www.example.org", "192.0.2.2", 600)};
  return entry(question("www.example.org"), answer, 120s, 300s);
}

CacheEntry nxdomain_entry() {
  Answer answer;
  answer.rcode = Rcode::NxDomain;
  answer.authority = {soa_record("example.org", 3600, 900)};
  return entry(question("gone.example.org"), answer, 400s, 900s);
}

CacheEntry nodata_entry() {
  Answer answer;
  answer.authority = {soa_record("example.org", 60, 900)};
  return entry(question("www.example.org", RrType::AAAA), answer, 30s, 60s);
}

CacheEntry cname_chain_entry() {
  Answer answer;
  answer.answers = {cname_record("alias.example.org", "middle.example.net", 3000),
                    cname_record("middle.example.net", "www.example.com", 2000),
                    address_record("www.example.com", "192.0.2.9", 100)};
  return entry(question("alias.example.org"), answer, 99s, 100s);
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

// `body` (header and entry lines) with a valid end line, for files that are well-formed
// everywhere except where a test says.
std::string with_end_line(const std::string& body, std::size_t count) {
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx",
                static_cast<unsigned long long>(fnv1a64(body)));
  return body + "end " + std::to_string(count) + " " + checksum + "\n";
}

void check_same(const CacheEntry& got, const CacheEntry& want, TimePoint want_expires) {
  CHECK(got.question.name == want.question.name);
  CHECK(got.question.type == want.question.type);
  CHECK(got.question.klass == want.question.klass);
  CHECK(got.answer.rcode == want.answer.rcode);
  CHECK(got.answer.answers == want.answer.answers);
  CHECK(got.answer.authority == want.answer.authority);
  CHECK(got.lifetime == want.lifetime);
  CHECK(got.expires == want_expires);
}

std::vector<CacheEntry> all_kinds() {
  return {positive_entry(), nxdomain_entry(), nodata_entry(), cname_chain_entry()};
}

}  // namespace

TEST_CASE("positive, NXDOMAIN, NODATA and CNAME chain entries come back as they were saved",
          "[cachefile]") {
  auto entries = all_kinds();
  auto text = encode_cache_file(entries, kSaveSteady, kSaveWall);
  // Loaded at the same wall-clock moment by a process whose steady clock reads differently.
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CAPTURE(i);
    check_same(parse.entries[i], entries[i], kLoadSteady + (entries[i].expires - kSaveSteady));
  }
}

TEST_CASE("the TTLs in the file are the ones received, not the seconds left", "[cachefile]") {
  auto parse = decode_cache_file(encode_cache_file({positive_entry()}, kSaveSteady, kSaveWall),
                                 kLoadSteady, kSaveWall);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  REQUIRE(parse.entries[0].answer.answers.size() == 2);
  CHECK(parse.entries[0].answer.answers[0].ttl == 300);
  CHECK(parse.entries[0].answer.answers[1].ttl == 600);
}

TEST_CASE("time spent between saving and loading is taken off the expiry", "[cachefile]") {
  auto text = encode_cache_file({positive_entry()}, kSaveSteady, kSaveWall);  // 120 s left
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall + 45s);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].expires == kLoadSteady + 75s);
}

TEST_CASE("entries expired by the time of loading are still returned, for the cache to judge",
          "[cachefile]") {
  auto text = encode_cache_file({positive_entry()}, kSaveSteady, kSaveWall);  // 120 s left
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall + 1h);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].expires == kLoadSteady + 120s - 1h);
}

TEST_CASE("a wall clock set back since saving cannot stretch an entry past its lifetime",
          "[cachefile]") {
  auto text = encode_cache_file({positive_entry()}, kSaveSteady, kSaveWall);  // 120 of 300 s
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall - 24h);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].expires == kLoadSteady + 300s);
}

TEST_CASE("expiries are kept to the millisecond, rounded towards sooner", "[cachefile]") {
  auto saved = positive_entry();
  saved.expires = kSaveSteady + 120s + 1500us;
  auto parse =
      decode_cache_file(encode_cache_file({saved}, kSaveSteady, kSaveWall), kLoadSteady, kSaveWall);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].expires == kLoadSteady + 120s + 1ms);
}

TEST_CASE("an empty cache makes a file with no entries that reads back as none", "[cachefile]") {
  auto text = encode_cache_file({}, kSaveSteady, kSaveWall);
  CHECK(text.starts_with("resolver-cache 1\nend 0 "));
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall);
  CHECK(parse.ok());
  CHECK(parse.entries.empty());
}

TEST_CASE("the file is a versioned header, one line per entry and a counted, checksummed end",
          "[cachefile]") {
  auto text = encode_cache_file({positive_entry(), nxdomain_entry()}, kSaveSteady, kSaveWall);
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < text.size();) {
    auto newline = text.find('\n', begin);
    REQUIRE(newline != std::string::npos);
    lines.push_back(text.substr(begin, newline - begin));
    begin = newline + 1;
  }
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "resolver-cache 1");
  // Expiry in wall-clock milliseconds, then the lifetime in seconds, then the message in hex.
  CHECK(lines[1].starts_with("1700000120000 300 "));
  CHECK(lines[2].starts_with("1700000400000 900 "));
  CHECK(text == with_end_line(lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n", 2));
}

TEST_CASE("a file cut short anywhere is rejected whole", "[cachefile]") {
  auto text = encode_cache_file(all_kinds(), kSaveSteady, kSaveWall);
  for (std::size_t size = 0; size < text.size(); ++size) {
    CAPTURE(size);
    auto parse = decode_cache_file(std::string_view(text).substr(0, size), kLoadSteady, kSaveWall);
    CHECK_FALSE(parse.ok());
    CHECK(parse.entries.empty());
  }
}

TEST_CASE("a truncated file says it is truncated", "[cachefile]") {
  auto text = encode_cache_file(all_kinds(), kSaveSteady, kSaveWall);
  auto cut_mid_line =
      decode_cache_file(text.substr(0, text.find('\n', 20) + 40), kLoadSteady, kSaveWall);
  CHECK(cut_mid_line.error == "truncated: line 3 is incomplete and there is no end line");
  auto cut_at_line_end =
      decode_cache_file(text.substr(0, text.find('\n', 20) + 1), kLoadSteady, kSaveWall);
  CHECK(cut_at_line_end.error == "truncated: no end line after line 2");
}

TEST_CASE("a changed byte anywhere in the file is rejected whole", "[cachefile]") {
  auto text = encode_cache_file(all_kinds(), kSaveSteady, kSaveWall);
  for (std::size_t i = 0; i < text.size(); ++i) {
    CAPTURE(i);
    std::string corrupt = text;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x01);
    auto parse = decode_cache_file(corrupt, kLoadSteady, kSaveWall);
    CHECK_FALSE(parse.ok());
    CHECK(parse.entries.empty());
  }
}

TEST_CASE("a changed byte in an entry is reported as a checksum mismatch on the end line",
          "[cachefile]") {
  auto text = encode_cache_file({positive_entry(), nxdomain_entry()}, kSaveSteady, kSaveWall);
  text[text.find('\n') + 3] ^= 0x01;  // inside the expiry of the first entry
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall);
  CHECK(parse.error.starts_with("line 4: checksum "));
  CHECK(parse.error.ends_with("the file is corrupt"));
}

TEST_CASE("another version of the format is rejected, naming the version", "[cachefile]") {
  auto parse = decode_cache_file(with_end_line("resolver-cache 2\n", 0), kLoadSteady, kSaveWall);
  CHECK(parse.error == "line 1: version 2, this build reads version 1");
}

TEST_CASE("a file that is not a cache file is rejected at line 1", "[cachefile]") {
  auto parse = decode_cache_file("www.example.org,192.0.2.1,60\n", kLoadSteady, kSaveWall);
  CHECK(parse.error == "line 1: not a resolver cache file");
  CHECK(decode_cache_file("", kLoadSteady, kSaveWall).error == "the file is empty");
}

TEST_CASE("an end line whose count differs from the entries is rejected", "[cachefile]") {
  auto text = encode_cache_file({positive_entry(), nxdomain_entry()}, kSaveSteady, kSaveWall);
  auto at = text.rfind("end 2 ");
  REQUIRE(at != std::string::npos);
  text.replace(at, 6, "end 3 ");
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall);
  CHECK(parse.error == "line 4: the end line counts 3 entries, the file has 2");
  CHECK(parse.entries.empty());
}

TEST_CASE("a checksummed entry line that is not a cached reply is rejected with its line",
          "[cachefile]") {
  auto good = encode_cache_file({positive_entry()}, kSaveSteady, kSaveWall);
  std::string good_line = good.substr(good.find('\n') + 1);
  good_line = good_line.substr(0, good_line.find('\n') + 1);
  struct Row {
    std::string line;
    std::string error;
  };
  auto row = GENERATE_COPY(
      Row{"1700000120000 300\n", "line 3: expected EXPIRES LIFETIME MESSAGE"},
      Row{"soon 300 00\n", "line 3: EXPIRES is not a time in milliseconds"},
      Row{"1700000120000 -1 00\n", "line 3: LIFETIME is not a number of seconds"},
      Row{"1700000120000 300 abc\n", "line 3: MESSAGE is not a DNS message in hex"},
      Row{"1700000120000 300 00ZZ\n", "line 3: MESSAGE is not lower-case hex"},
      Row{"1700000120000 300 0000\n", "line 3: MESSAGE is not a readable DNS message"},
      // A header with QR clear: a query, not a reply.
      Row{"1700000120000 300 0000000000010000000000000000010001\n",
          "line 3: MESSAGE is rejected as a reply: not a DNS response"});
  CAPTURE(row.line);
  auto parse = decode_cache_file(with_end_line("resolver-cache 1\n" + good_line + row.line, 2),
                                 kLoadSteady, kSaveWall);
  CHECK(parse.error == row.error);
  CHECK(parse.entries.empty());
}

TEST_CASE("records that do not answer the entry's question are not restored", "[cachefile]") {
  auto saved = positive_entry();
  saved.answer.answers.push_back(address_record("other.example.org", "192.0.2.66", 300));
  auto parse =
      decode_cache_file(encode_cache_file({saved}, kSaveSteady, kSaveWall), kLoadSteady, kSaveWall);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].answer.answers == positive_entry().answer.answers);
}

TEST_CASE("an answer larger than a UDP reply is written whole, not truncated", "[cachefile]") {
  Answer answer;
  for (int i = 0; i < 200; ++i) {
    answer.answers.push_back(address_record("many.example.org", "192.0.2.1", 60));
    answer.answers.back().rdata[3] = static_cast<std::uint8_t>(i);
  }
  auto saved = entry(question("many.example.org"), answer, 60s, 60s);
  std::size_t skipped = 99;
  auto text = encode_cache_file({saved}, kSaveSteady, kSaveWall, &skipped);
  CHECK(skipped == 0);
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall);
  REQUIRE(parse.ok());
  REQUIRE(parse.entries.size() == 1);
  CHECK(parse.entries[0].answer.answers.size() == 200);
}

TEST_CASE("a cache's entries restored into another cache answer with the time left",
          "[cachefile]") {
  Cache saved_cache;
  Answer answer;
  answer.answers = {address_record("www.example.org", "192.0.2.1", 300)};
  REQUIRE(saved_cache.insert(question("WWW.Example.org"), answer, kSaveSteady - 100s));
  Answer nxdomain;
  nxdomain.rcode = Rcode::NxDomain;
  nxdomain.authority = {soa_record("example.org", 3600, 900)};
  REQUIRE(saved_cache.insert(question("gone.example.org"), nxdomain, kSaveSteady));

  auto text = encode_cache_file(saved_cache.entries(kSaveSteady), kSaveSteady, kSaveWall);
  auto parse = decode_cache_file(text, kLoadSteady, kSaveWall + 50s);
  REQUIRE(parse.ok());
  Cache loaded_cache;
  for (const auto& restored : parse.entries) CHECK(loaded_cache.restore(restored, kLoadSteady));
  CHECK(loaded_cache.size() == 2);

  auto hit = loaded_cache.lookup(question("www.example.org"), kLoadSteady);
  REQUIRE(hit);
  REQUIRE(hit->answers.size() == 1);
  CHECK(hit->answers[0].ttl == 150);  // 300 - 100 before saving - 50 between
  auto negative = loaded_cache.lookup(question("gone.example.org"), kLoadSteady);
  REQUIRE(negative);
  CHECK(negative->rcode == Rcode::NxDomain);
  CHECK(negative->authority.size() == 1);
  CHECK(negative->authority[0].ttl == 850);
}

TEST_CASE("a cache lists expired entries only while they may still be served stale",
          "[cachefile]") {
  CacheSettings settings;
  settings.max_stale = 60s;
  Cache cache(settings);
  Answer answer;
  answer.answers = {address_record("www.example.org", "192.0.2.1", 10)};
  REQUIRE(cache.insert(question("www.example.org"), answer, kSaveSteady));
  CHECK(cache.entries(kSaveSteady + 70s).size() == 1);
  CHECK(cache.entries(kSaveSteady + 71s).empty());
}

TEST_CASE("restore refuses entries past max_stale and keeps stale ones for serve-stale",
          "[cachefile]") {
  CacheSettings settings;
  settings.max_stale = 60s;
  Cache cache(settings);
  auto stale = positive_entry();
  stale.expires = kLoadSteady - 30s;
  CHECK(cache.restore(stale, kLoadSteady));
  CHECK_FALSE(cache.lookup(stale.question, kLoadSteady));
  CHECK(cache.lookup_stale(stale.question, kLoadSteady, 30));
  auto too_old = nxdomain_entry();
  too_old.expires = kLoadSteady - 61s;
  CHECK_FALSE(cache.restore(too_old, kLoadSteady));
  CHECK(cache.size() == 1);
}

TEST_CASE("restore shortens an entry to today's max-ttl", "[cachefile]") {
  CacheSettings settings;
  settings.max_ttl = 60;
  Cache cache(settings);
  auto saved = positive_entry();  // 120 s left of 300
  saved.expires = kLoadSteady + 120s;
  REQUIRE(cache.restore(saved, kLoadSteady));
  auto hit = cache.lookup(saved.question, kLoadSteady);
  REQUIRE(hit);
  CHECK(hit->answers[0].ttl == 60);
}

TEST_CASE("restore refuses what insert would: no records and no SOA", "[cachefile]") {
  Cache cache;
  auto empty = positive_entry();
  empty.answer.answers.clear();
  CHECK_FALSE(cache.restore(empty, kLoadSteady));
  auto servfail = positive_entry();
  servfail.answer.rcode = Rcode::ServFail;
  CHECK_FALSE(cache.restore(servfail, kLoadSteady));
  CHECK(cache.size() == 0);
}

TEST_CASE("entries restored in file order leave the last one as the most recently used",
          "[cachefile]") {
  CacheSettings settings;
  settings.capacity = 1;
  Cache cache(settings);
  auto first = positive_entry();
  auto second = nxdomain_entry();
  REQUIRE(cache.restore(first, kLoadSteady));
  REQUIRE(cache.restore(second, kLoadSteady));
  CHECK(cache.size() == 1);
  CHECK(cache.lookup(second.question, kLoadSteady));
  CHECK_FALSE(cache.lookup(first.question, kLoadSteady));
}

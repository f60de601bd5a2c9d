#include "resolver/server/query_handler.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "resolver/dns/address.hpp"
#include "resolver/dns/rdata.hpp"

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
using resolver::server::HandlerSettings;
using resolver::server::QueryHandler;
using resolver::server::Resolution;
using resolver::server::UpstreamOutcome;

TimePoint at(long seconds) {
  return TimePoint{} + std::chrono::seconds(seconds);
}

Question question(std::string_view name, RrType type = RrType::A) {
  return Question{DnsName::from_text(name), type, resolver::dns::RrClass::IN};
}

ResourceRecord address_record(std::string_view name, std::string_view address, std::uint32_t ttl) {
  auto parsed = resolver::dns::parse_address(address);
  REQUIRE(parsed);
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = parsed->type;
  record.ttl = ttl;
  record.rdata = parsed->rdata;
  return record;
}

std::vector<std::string> addresses(const Answer& answer) {
  std::vector<std::string> texts;
  for (const auto& record : answer.answers) {
    texts.push_back(resolver::dns::address_text(record).value_or("?"));
  }
  return texts;
}

std::vector<std::uint32_t> ttls(const Answer& answer) {
  std::vector<std::uint32_t> values;
  for (const auto& record : answer.answers) values.push_back(record.ttl);
  return values;
}

UpstreamOutcome reached(Answer answer) {
  UpstreamOutcome outcome;
  outcome.reached = true;
  outcome.answer = std::move(answer);
  return outcome;
}

UpstreamOutcome unreachable() {
  UpstreamOutcome outcome;
  outcome.reached = false;
  outcome.error = "timed out";
  return outcome;
}

Answer parent_answer(std::string_view name, std::string_view address, std::uint32_t ttl) {
  Answer answer;
  answer.answers.push_back(address_record(name, address, ttl));
  return answer;
}

void check_negative(const Answer& answer, Rcode rcode, std::uint32_t ttl, bool authoritative) {
  CHECK(answer.rcode == rcode);
  CHECK(answer.answers.empty());
  REQUIRE(answer.authority.size() == 1);
  CHECK(answer.authority[0].type == RrType::SOA);
  CHECK(resolver::dns::answer_ttl(answer) == ttl);
  CHECK(answer.authoritative == authoritative);
}

// The local zone of these tests, a cache and a handler over both.
struct Fixture {
  explicit Fixture(HandlerSettings settings = {}, CacheSettings cache_settings = {})
      : cache(cache_settings),
        handler(std::make_shared<const resolver::records::LocalRecords>(std::vector<ResourceRecord>{
                    address_record("multi.local.test", "192.0.2.1", 60),
                    address_record("multi.local.test", "2001:db8::1", 120),
                    address_record("multi.local.test", "192.0.2.2", 60),
                    address_record("v4only.local.test", "192.0.2.9", 300),
                }),
                cache, settings) {}

  Resolution resolve(const Question& q, bool rd, TimePoint now) {
    out = Answer{};
    return handler.resolve(q, rd, now, out);
  }

  Cache cache;
  QueryHandler handler;
  Answer out;
};

HandlerSettings with_parent() {
  HandlerSettings settings;
  settings.has_parent = true;
  return settings;
}

}  // namespace

TEST_CASE("a local name is answered authoritatively with all its records of the type",
          "[handler]") {
  Fixture f;
  REQUIRE(f.resolve(question("multi.local.test", RrType::A), true, at(0)) == Resolution::Answered);
  CHECK(f.out.rcode == Rcode::NoError);
  CHECK(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{60, 60});

  REQUIRE(f.resolve(question("MULTI.Local.Test.", RrType::AAAA), true, at(0)) ==
          Resolution::Answered);
  CHECK(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"2001:db8::1"});
}

TEST_CASE("local answers keep the file's TTL however much time passes", "[handler]") {
  Fixture f;
  REQUIRE(f.resolve(question("v4only.local.test"), true, at(100'000)) == Resolution::Answered);
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{300});
}

TEST_CASE("a local name without the asked type gets an authoritative NODATA with a SOA",
          "[handler]") {
  HandlerSettings settings;
  settings.local_negative_ttl = 42;
  Fixture f(settings);
  for (RrType type : {RrType::AAAA, RrType::MX, RrType::TXT, RrType::CNAME}) {
    CAPTURE(resolver::dns::type_name(type));
    REQUIRE(f.resolve(question("v4only.local.test", type), true, at(0)) == Resolution::Answered);
    check_negative(f.out, Rcode::NoError, 42, true);
  }
}

TEST_CASE("ANY returns every local record of the name", "[handler]") {
  Fixture f;
  REQUIRE(f.resolve(question("multi.local.test", RrType::ANY), true, at(0)) ==
          Resolution::Answered);
  CHECK(f.out.rcode == Rcode::NoError);
  CHECK(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"192.0.2.1", "2001:db8::1", "192.0.2.2"});
}

TEST_CASE("a local name is never forwarded, even with a parent and recursion desired",
          "[handler]") {
  Fixture f(with_parent());
  for (RrType type : {RrType::A, RrType::AAAA, RrType::MX, RrType::ANY}) {
    for (bool rd : {true, false}) {
      CAPTURE(resolver::dns::type_name(type), rd);
      CHECK(f.resolve(question("v4only.local.test", type), rd, at(0)) == Resolution::Answered);
      CHECK(f.out.authoritative);
      CHECK(f.out.rcode == Rcode::NoError);
    }
  }
}

TEST_CASE("local records shadow a cached answer for the same name", "[handler]") {
  Fixture f(with_parent());
  REQUIRE(f.cache.insert(question("v4only.local.test"),
                         parent_answer("v4only.local.test", "203.0.113.66", 600), at(0)));
  REQUIRE(f.resolve(question("v4only.local.test"), true, at(1)) == Resolution::Answered);
  CHECK(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"192.0.2.9"});
}

TEST_CASE("a cached answer is returned with its TTL counted down and without AA", "[handler]") {
  Fixture f(with_parent());
  REQUIRE(f.cache.insert(question("www.example.org"),
                         parent_answer("www.example.org", "198.51.100.1", 300), at(1000)));
  REQUIRE(f.resolve(question("www.example.org"), true, at(1100)) == Resolution::Answered);
  CHECK(f.out.rcode == Rcode::NoError);
  CHECK_FALSE(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{200});
}

TEST_CASE("a cached answer is served even to a query without recursion desired", "[handler]") {
  Fixture f(with_parent());
  REQUIRE(f.cache.insert(question("www.example.org"),
                         parent_answer("www.example.org", "198.51.100.1", 300), at(0)));
  CHECK(f.resolve(question("www.example.org"), false, at(10)) == Resolution::Answered);
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.1"});
}

TEST_CASE("a miss below a parent is forwarded when recursion is desired", "[handler]") {
  Fixture f(with_parent());
  CHECK(f.resolve(question("www.example.org"), true, at(0)) == Resolution::Forward);
  CHECK(f.resolve(question("other.local.test"), true, at(0)) == Resolution::Forward);
}

TEST_CASE("an expired cache entry is a miss and is forwarded", "[handler]") {
  Fixture f(with_parent());
  REQUIRE(f.cache.insert(question("www.example.org"),
                         parent_answer("www.example.org", "198.51.100.1", 60), at(0)));
  CHECK(f.resolve(question("www.example.org"), true, at(60)) == Resolution::Forward);
}

TEST_CASE("a miss below a parent without recursion desired is REFUSED", "[handler]") {
  Fixture f(with_parent());
  REQUIRE(f.resolve(question("www.example.org"), false, at(0)) == Resolution::Answered);
  CHECK(f.out.rcode == Rcode::Refused);
  CHECK(f.out.answers.empty());
  CHECK_FALSE(f.out.authoritative);
}

TEST_CASE("a miss without a parent is an authoritative NXDOMAIN with a SOA", "[handler]") {
  HandlerSettings settings;
  settings.local_negative_ttl = 77;
  Fixture f(settings);
  for (bool rd : {true, false}) {
    CAPTURE(rd);
    REQUIRE(f.resolve(question("www.example.org"), rd, at(0)) == Resolution::Answered);
    check_negative(f.out, Rcode::NxDomain, 77, true);
  }
}

TEST_CASE("a NOERROR answer from the parent is passed on and cached", "[handler]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  REQUIRE(f.resolve(q, true, at(0)) == Resolution::Forward);
  Answer from_parent = parent_answer("www.example.org", "198.51.100.1", 300);
  from_parent.authoritative = true;  // the parent's AA is not ours to claim

  Answer answer = f.handler.complete(q, reached(from_parent), at(1));
  CHECK(answer.rcode == Rcode::NoError);
  CHECK_FALSE(answer.authoritative);
  CHECK(addresses(answer) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(answer) == std::vector<std::uint32_t>{300});

  REQUIRE(f.resolve(q, true, at(31)) == Resolution::Answered);
  CHECK_FALSE(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{270});
  CHECK(f.resolve(q, true, at(301)) == Resolution::Forward);
}

TEST_CASE("an NXDOMAIN from the parent is passed on and cached as a negative entry", "[handler]") {
  Fixture f(with_parent());
  auto q = question("gone.example.org");
  Answer from_parent = resolver::dns::negative_answer(Rcode::NxDomain, 120, true);
  Answer answer = f.handler.complete(q, reached(from_parent), at(0));
  check_negative(answer, Rcode::NxDomain, 120, false);

  REQUIRE(f.resolve(q, true, at(20)) == Resolution::Answered);
  check_negative(f.out, Rcode::NxDomain, 100, false);
  CHECK(f.resolve(q, true, at(120)) == Resolution::Forward);
}

TEST_CASE("a NODATA from the parent is cached for its type only", "[handler]") {
  Fixture f(with_parent());
  auto aaaa = question("www.example.org", RrType::AAAA);
  f.handler.complete(aaaa, reached(resolver::dns::negative_answer(Rcode::NoError, 60, false)),
                     at(0));
  REQUIRE(f.resolve(aaaa, true, at(1)) == Resolution::Answered);
  check_negative(f.out, Rcode::NoError, 59, false);
  CHECK(f.resolve(question("www.example.org", RrType::A), true, at(1)) == Resolution::Forward);
}

TEST_CASE("a TTL 0 answer from the parent is passed on but never cached", "[handler]") {
  Fixture f(with_parent());
  auto q = question("volatile.example.org");
  Answer answer = f.handler.complete(
      q, reached(parent_answer("volatile.example.org", "198.51.100.5", 0)), at(0));
  CHECK(addresses(answer) == std::vector<std::string>{"198.51.100.5"});
  CHECK(ttls(answer) == std::vector<std::uint32_t>{0});
  CHECK(f.cache.size() == 0);
  CHECK(f.resolve(q, true, at(0)) == Resolution::Forward);
}

TEST_CASE("an unreachable parent gives SERVFAIL when nothing stale is held", "[handler]") {
  Fixture f(with_parent());
  Answer answer = f.handler.complete(question("www.example.org"), unreachable(), at(0));
  CHECK(answer.rcode == Rcode::ServFail);
  CHECK(answer.answers.empty());
  CHECK(f.cache.size() == 0);
}

TEST_CASE("an unreachable parent gives the expired entry with the stale TTL", "[handler]") {
  HandlerSettings settings = with_parent();
  settings.stale_ttl = 30;
  Fixture f(settings);
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  REQUIRE(f.resolve(q, true, at(500)) == Resolution::Forward);

  Answer answer = f.handler.complete(q, unreachable(), at(505));
  CHECK(answer.rcode == Rcode::NoError);
  CHECK_FALSE(answer.authoritative);
  CHECK(addresses(answer) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(answer) == std::vector<std::uint32_t>{30});
}

TEST_CASE("an unreachable parent gives a stale negative entry with the stale TTL", "[handler]") {
  HandlerSettings settings = with_parent();
  settings.stale_ttl = 15;
  Fixture f(settings);
  auto q = question("gone.example.org");
  f.handler.complete(q, reached(resolver::dns::negative_answer(Rcode::NxDomain, 60, false)), at(0));
  Answer answer = f.handler.complete(q, unreachable(), at(100));
  check_negative(answer, Rcode::NxDomain, 15, false);
}

TEST_CASE("an unreachable parent gives SERVFAIL when serve_stale is off", "[handler]") {
  HandlerSettings settings = with_parent();
  settings.serve_stale = false;
  Fixture f(settings);
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  Answer answer = f.handler.complete(q, unreachable(), at(100));
  CHECK(answer.rcode == Rcode::ServFail);
  CHECK(answer.answers.empty());
}

TEST_CASE("an unreachable parent gives SERVFAIL once the entry is older than max_stale",
          "[handler]") {
  CacheSettings cache_settings;
  cache_settings.max_stale = std::chrono::seconds(3600);
  Fixture f(with_parent(), cache_settings);
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  CHECK(f.handler.complete(q, unreachable(), at(60 + 3600)).rcode == Rcode::NoError);
  CHECK(f.handler.complete(q, unreachable(), at(60 + 3601)).rcode == Rcode::ServFail);
}

TEST_CASE("a SERVFAIL from the parent is not cached and does not shadow a stale positive entry",
          "[handler]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  REQUIRE(f.resolve(q, true, at(90)) == Resolution::Forward);

  Answer answer =
      f.handler.complete(q, reached(resolver::dns::failure_answer(Rcode::ServFail)), at(90));
  CHECK(answer.rcode == Rcode::NoError);
  CHECK(addresses(answer) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(answer) == std::vector<std::uint32_t>{f.handler.settings().stale_ttl});

  // The stale entry is still there for the next failure, and nothing fresh was stored.
  CHECK(f.resolve(q, true, at(91)) == Resolution::Forward);
  Answer again =
      f.handler.complete(q, reached(resolver::dns::failure_answer(Rcode::ServFail)), at(91));
  CHECK(addresses(again) == std::vector<std::string>{"198.51.100.1"});
}

TEST_CASE("a failure from the parent with nothing stale is SERVFAIL and is not cached",
          "[handler]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  for (Rcode rcode : {Rcode::ServFail, Rcode::Refused, Rcode::NotImp, Rcode::FormErr}) {
    CAPTURE(resolver::dns::to_underlying(rcode));
    Answer answer = f.handler.complete(q, reached(resolver::dns::failure_answer(rcode)), at(0));
    CHECK(answer.rcode == Rcode::ServFail);
    CHECK(f.cache.size() == 0);
    CHECK(f.resolve(q, true, at(0)) == Resolution::Forward);
  }
}

TEST_CASE("a new answer from the parent replaces the stale entry", "[handler]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.2", 60)), at(100));
  REQUIRE(f.resolve(q, true, at(110)) == Resolution::Answered);
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.2"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{50});
}

namespace {

std::shared_ptr<const resolver::records::LocalRecords> zone(std::vector<ResourceRecord> records) {
  return std::make_shared<const resolver::records::LocalRecords>(std::move(records));
}

ResourceRecord cname_record(std::string_view name, std::string_view target, std::uint32_t ttl) {
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = RrType::CNAME;
  record.ttl = ttl;
  const auto target_name = DnsName::from_text(target);
  record.rdata.assign(target_name.wire().begin(), target_name.wire().end());
  return record;
}

std::vector<std::string> sorted(std::vector<std::string> texts) {
  std::sort(texts.begin(), texts.end());
  return texts;
}

const std::vector<std::string> kThree{"192.0.2.1", "192.0.2.2", "192.0.2.3"};

}  // namespace

TEST_CASE("round robin: consecutive local answers start with different addresses of the same set",
          "[handler][round-robin]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("rr.local.test", "192.0.2.1", 60),
                                  address_record("rr.local.test", "192.0.2.2", 60),
                                  address_record("rr.local.test", "192.0.2.3", 60),
                                  address_record("rr.local.test", "2001:db8::1", 60)}));
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    REQUIRE(f.resolve(question("rr.local.test"), true, at(0)) == Resolution::Answered);
    CHECK(f.out.authoritative);
    auto got = addresses(f.out);
    CAPTURE(got);
    CHECK(sorted(got) == kThree);  // only the A records, every one of them
    firsts.insert(got.front());
  }
  CHECK(firsts.size() == 3);
}

TEST_CASE("round robin: a rotation keeps the records' cyclic order", "[handler][round-robin]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("rr.local.test", "192.0.2.1", 60),
                                  address_record("rr.local.test", "192.0.2.2", 60),
                                  address_record("rr.local.test", "192.0.2.3", 60)}));
  for (int i = 0; i < 6; ++i) {
    REQUIRE(f.resolve(question("rr.local.test"), true, at(0)) == Resolution::Answered);
    auto got = addresses(f.out);
    CAPTURE(got);
    REQUIRE(got.size() == 3);
    // Whatever the starting record, the next ones follow it as in the file.
    auto start = std::find(kThree.begin(), kThree.end(), got[0]) - kThree.begin();
    for (std::size_t j = 0; j < 3; ++j) CHECK(got[j] == kThree[(start + j) % 3]);
  }
}

TEST_CASE("round robin: cached answers rotate too", "[handler][round-robin]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  Answer from_parent;
  for (const auto& address : kThree) {
    from_parent.answers.push_back(address_record("www.example.org", address, 300));
  }
  REQUIRE(f.cache.insert(q, from_parent, at(0)));
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.resolve(q, true, at(1)) == Resolution::Answered);
    auto got = addresses(f.out);
    CAPTURE(got);
    CHECK(sorted(got) == kThree);
    firsts.insert(got.front());
  }
  CHECK(firsts.size() == 3);
}

TEST_CASE("round robin: a CNAME before the addresses keeps its place", "[handler][round-robin]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  Answer from_parent;
  from_parent.answers.push_back(cname_record("www.example.org", "web.example.net", 300));
  for (const auto& address : kThree) {
    from_parent.answers.push_back(address_record("web.example.net", address, 300));
  }
  REQUIRE(f.cache.insert(q, from_parent, at(0)));
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    REQUIRE(f.resolve(q, true, at(1)) == Resolution::Answered);
    REQUIRE(f.out.answers.size() == 4);
    CHECK(f.out.answers[0] == cname_record("www.example.org", "web.example.net", 299));
    std::vector<std::string> rest;
    for (std::size_t j = 1; j < f.out.answers.size(); ++j) {
      CHECK(f.out.answers[j].type == RrType::A);
      rest.push_back(resolver::dns::address_text(f.out.answers[j]).value_or("?"));
    }
    CAPTURE(rest);
    CHECK(sorted(rest) == kThree);
    firsts.insert(rest.front());
  }
  CHECK(firsts.size() == 3);
}

TEST_CASE("round robin: a single record and ANY answers are left as they are",
          "[handler][round-robin]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.resolve(question("v4only.local.test"), true, at(0)) == Resolution::Answered);
    CHECK(addresses(f.out) == std::vector<std::string>{"192.0.2.9"});
    REQUIRE(f.resolve(question("multi.local.test", RrType::ANY), true, at(0)) ==
            Resolution::Answered);
    CHECK(addresses(f.out) == std::vector<std::string>{"192.0.2.1", "2001:db8::1", "192.0.2.2"});
  }
}

TEST_CASE("a cache hit near its end asks for a refresh only when there is a parent",
          "[handler][prefetch]") {
  struct Row {
    bool has_parent;
    long now;  // the entry lives 100 s from 0
    Resolution expected;
  };
  auto row =
      GENERATE(Row{true, 1, Resolution::Answered}, Row{true, 50, Resolution::Answered},
               Row{true, 90, Resolution::Answered}, Row{true, 91, Resolution::AnsweredRefresh},
               Row{true, 99, Resolution::AnsweredRefresh}, Row{false, 50, Resolution::Answered},
               Row{false, 95, Resolution::Answered}, Row{false, 99, Resolution::Answered});
  CAPTURE(row.has_parent, row.now);
  HandlerSettings settings;
  settings.has_parent = row.has_parent;
  Fixture f(settings);
  auto q = question("www.example.org");
  REQUIRE(f.cache.insert(q, parent_answer("www.example.org", "198.51.100.1", 100), at(0)));
  CHECK(f.resolve(q, true, at(row.now)) == row.expected);
  // Either way the client gets the cached answer now.
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{static_cast<std::uint32_t>(100 - row.now)});
}

TEST_CASE("a short-lived cache entry is never refreshed ahead of time", "[handler][prefetch]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  REQUIRE(f.cache.insert(q, parent_answer("www.example.org", "198.51.100.1", 9), at(0)));
  for (long now = 0; now < 9; ++now) {
    CAPTURE(now);
    CHECK(f.resolve(q, true, at(now)) == Resolution::Answered);
  }
}

TEST_CASE("local answers never ask for a refresh", "[handler][prefetch]") {
  Fixture f(with_parent());
  for (long now : {0L, 54L, 59L, 100'000L}) {
    CAPTURE(now);
    CHECK(f.resolve(question("multi.local.test"), true, at(now)) == Resolution::Answered);
  }
}

TEST_CASE("replace_records: later resolves see the new records", "[handler][reload]") {
  Fixture f(with_parent());
  REQUIRE(f.resolve(question("v4only.local.test"), true, at(0)) == Resolution::Answered);
  REQUIRE(addresses(f.out) == std::vector<std::string>{"192.0.2.9"});

  auto fresh = zone({address_record("v4only.local.test", "203.0.113.9", 30),
                     address_record("added.local.test", "203.0.113.10", 30)});
  f.handler.replace_records(fresh);
  CHECK(f.handler.records() == fresh);

  REQUIRE(f.resolve(question("v4only.local.test"), true, at(1)) == Resolution::Answered);
  CHECK(f.out.authoritative);
  CHECK(addresses(f.out) == std::vector<std::string>{"203.0.113.9"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{30});
  REQUIRE(f.resolve(question("added.local.test"), true, at(1)) == Resolution::Answered);
  CHECK(addresses(f.out) == std::vector<std::string>{"203.0.113.10"});
  // A name only the old file had is no longer local: below a parent it is forwarded.
  CHECK(f.resolve(question("multi.local.test"), true, at(1)) == Resolution::Forward);
}

TEST_CASE("replace_records: a root answers NXDOMAIN for a name the new file dropped",
          "[handler][reload]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("added.local.test", "203.0.113.10", 30)}));
  REQUIRE(f.resolve(question("v4only.local.test"), true, at(0)) == Resolution::Answered);
  CHECK(f.out.rcode == Rcode::NxDomain);
}

TEST_CASE("replace_records: the records a query already holds stay valid", "[handler][reload]") {
  Fixture f;
  auto old = f.handler.records();
  f.handler.replace_records(zone({}));
  REQUIRE(old);
  CHECK(old->find(DnsName::from_text("v4only.local.test")).size() == 1);
  CHECK(f.handler.records()->record_count() == 0);
}

TEST_CASE("replace_records: the cache survives a reload", "[handler][reload]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 300)), at(0));
  REQUIRE(f.cache.size() == 1);

  f.handler.replace_records(zone({address_record("added.local.test", "203.0.113.10", 30)}));
  CHECK(f.cache.size() == 1);
  REQUIRE(f.resolve(q, true, at(10)) == Resolution::Answered);
  CHECK(addresses(f.out) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(f.out) == std::vector<std::uint32_t>{290});
}

TEST_CASE("stale_answer is nullopt when serve_stale is off", "[handler][stale]") {
  HandlerSettings settings = with_parent();
  settings.serve_stale = false;
  Fixture f(settings);
  auto q = question("www.example.org");
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  CHECK_FALSE(f.handler.stale_answer(q, at(100)).has_value());
}

TEST_CASE("stale_answer gives the expired entry with the stale TTL and EDE 3", "[handler][stale]") {
  HandlerSettings settings = with_parent();
  settings.stale_ttl = 30;
  Fixture f(settings);
  auto q = question("www.example.org");
  CHECK_FALSE(f.handler.stale_answer(q, at(0)).has_value());
  f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  auto stale = f.handler.stale_answer(q, at(100));
  REQUIRE(stale);
  CHECK(addresses(*stale) == std::vector<std::string>{"198.51.100.1"});
  CHECK(ttls(*stale) == std::vector<std::uint32_t>{30});
  CHECK(stale->extended_error == resolver::dns::kEdeStaleAnswer);
}

TEST_CASE("a stale answer after a failed forward carries EDE 3, a fresh one does not",
          "[handler][stale]") {
  Fixture f(with_parent());
  auto q = question("www.example.org");
  Answer fresh =
      f.handler.complete(q, reached(parent_answer("www.example.org", "198.51.100.1", 60)), at(0));
  CHECK_FALSE(fresh.extended_error.has_value());
  REQUIRE(f.resolve(q, true, at(30)) == Resolution::Answered);
  CHECK_FALSE(f.out.extended_error.has_value());

  Answer stale = f.handler.complete(q, unreachable(), at(100));
  CHECK(stale.extended_error == resolver::dns::kEdeStaleAnswer);
  Answer servfail = f.handler.complete(question("other.example.org"), unreachable(), at(100));
  CHECK(servfail.rcode == Rcode::ServFail);
  CHECK_FALSE(servfail.extended_error.has_value());
}

// Stub resolvers ask A and AAAA in pairs, and every text-protocol query does: a rotation
// counter shared by both types would give each type the same start every time.
TEST_CASE("round robin: alternating A and AAAA questions still rotate both",
          "[handler][round-robin]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("dual.local.test", "192.0.2.1", 60),
                                  address_record("dual.local.test", "192.0.2.2", 60),
                                  address_record("dual.local.test", "2001:db8::1", 60),
                                  address_record("dual.local.test", "2001:db8::2", 60)}));
  std::set<std::string> first_a;
  std::set<std::string> first_aaaa;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(f.resolve(question("dual.local.test", RrType::A), true, at(0)) == Resolution::Answered);
    first_a.insert(addresses(f.out).front());
    REQUIRE(f.resolve(question("dual.local.test", RrType::AAAA), true, at(0)) ==
            Resolution::Answered);
    first_aaaa.insert(addresses(f.out).front());
  }
  CHECK(first_a.size() == 2);
  CHECK(first_aaaa.size() == 2);
}

namespace {

// The addresses of a plain answer's encoded records (A: the last 4 bytes of each).
std::vector<std::string> plain_addresses(const QueryHandler::PlainAnswer& answer) {
  std::vector<std::string> texts;
  for (auto record : answer.view()) {
    ResourceRecord decoded;
    decoded.type = RrType{static_cast<std::uint16_t>(record[2] << 8 | record[3])};
    decoded.rdata.assign(record.begin() + 12, record.end());
    texts.push_back(resolver::dns::address_text(decoded).value_or("?"));
  }
  return texts;
}

constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

std::vector<std::uint8_t> lowercase_wire(std::string_view name) {
  auto key = DnsName::from_text(name).key();
  return {key.begin(), key.end()};
}

}  // namespace

TEST_CASE(
    "the hit path answers a local name's records of the asked type, in the same rotation "
    "as resolve",
    "[handler][plain]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("rr.local.test", "192.0.2.1", 60),
                                  address_record("rr.local.test", "2001:db8::1", 60),
                                  address_record("rr.local.test", "192.0.2.2", 60),
                                  address_record("rr.local.test", "192.0.2.3", 60)}));
  auto local = f.handler.records();
  auto name = lowercase_wire("rr.local.test");
  // Alternating the two paths must still walk one rotation: they share its counter.
  std::vector<std::string> firsts;
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    std::vector<std::string> got;
    if (i % 2 == 0) {
      QueryHandler::PlainAnswer answer;
      REQUIRE(f.handler.answer_plain(local->find(name), name, RrType::A, kNoLimit, answer));
      got = plain_addresses(answer);
    } else {
      REQUIRE(f.resolve(question("rr.local.test"), true, at(0)) == Resolution::Answered);
      got = addresses(f.out);
    }
    CAPTURE(got);
    REQUIRE(sorted(got) == kThree);
    auto start = std::find(kThree.begin(), kThree.end(), got[0]) - kThree.begin();
    for (std::size_t j = 0; j < 3; ++j) CHECK(got[j] == kThree[(start + j) % 3]);
    firsts.push_back(got[0]);
  }
  for (std::size_t i = 1; i < firsts.size(); ++i) CHECK(firsts[i] != firsts[i - 1]);
  QueryHandler::PlainAnswer v6;
  REQUIRE(f.handler.answer_plain(local->find(name), name, RrType::AAAA, kNoLimit, v6));
  CHECK(plain_addresses(v6) == std::vector<std::string>{"2001:db8::1"});
}

TEST_CASE("the hit path leaves non-local names, NODATA and very long answers to resolve",
          "[handler][plain]") {
  Fixture f;
  std::vector<ResourceRecord> records{address_record("v4only.local.test", "192.0.2.1", 60)};
  for (int i = 0; i <= static_cast<int>(QueryHandler::kMaxPlainAnswer); ++i) {
    records.push_back(address_record("many.local.test", "198.51.100." + std::to_string(i + 1), 60));
  }
  f.handler.replace_records(zone(records));
  auto local = f.handler.records();
  auto plain = [&](std::string_view name, RrType type) {
    auto key = lowercase_wire(name);
    QueryHandler::PlainAnswer answer;
    return f.handler.answer_plain(local->find(key), key, type, kNoLimit, answer);
  };
  CHECK_FALSE(plain("nosuch.local.test", RrType::A));
  CHECK_FALSE(plain("v4only.local.test", RrType::AAAA));
  CHECK_FALSE(plain("many.local.test", RrType::A));
  CHECK(plain("v4only.local.test", RrType::A));
}

TEST_CASE("records_version moves with every replacement of the records", "[handler][plain]") {
  Fixture f;
  auto before = f.handler.records_version();
  f.handler.replace_records(zone({address_record("a.local.test", "192.0.2.1", 60)}));
  auto after = f.handler.records_version();
  CHECK(after != before);
  f.handler.replace_records(zone({}));
  CHECK(f.handler.records_version() != after);
}

TEST_CASE("the hit path leaves an answer too big for the client to resolve, rotation untouched",
          "[handler][plain]") {
  Fixture f;
  f.handler.replace_records(zone({address_record("rr.local.test", "192.0.2.1", 60),
                                  address_record("rr.local.test", "192.0.2.2", 60),
                                  address_record("rr.local.test", "192.0.2.3", 60)}));
  auto local = f.handler.records();
  auto name = lowercase_wire("rr.local.test");
  QueryHandler::PlainAnswer first;
  REQUIRE(f.handler.answer_plain(local->find(name), name, RrType::A, 48, first));  // 3 x 16
  // 47 bytes hold two of the three records: no answer, and the rotation must not move, so
  // the next answer starts where an untouched rotation would.
  QueryHandler::PlainAnswer refused;
  CHECK_FALSE(f.handler.answer_plain(local->find(name), name, RrType::A, 47, refused));
  QueryHandler::PlainAnswer second;
  REQUIRE(f.handler.answer_plain(local->find(name), name, RrType::A, 48, second));
  auto got_first = plain_addresses(first);
  auto got_second = plain_addresses(second);
  auto start = std::find(kThree.begin(), kThree.end(), got_first[0]) - kThree.begin();
  CHECK(got_second[0] == kThree[static_cast<std::size_t>(start + 1) % 3]);
}

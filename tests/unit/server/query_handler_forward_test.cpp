// QueryHandler below a parent: cache hits, forwarding, the parent's replies, serve-stale and
// refreshes ahead of expiry.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "query_handler_fixture.hpp"
#include "resolver/dns/rdata.hpp"

using namespace query_handler_test;

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

// QueryHandler: round robin, the rotation of a name's records from one answer to the next.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "query_handler_fixture.hpp"
#include "resolver/dns/rdata.hpp"

using namespace query_handler_test;

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

// QueryHandler: names of the local records file, its reloads, and the hit path (answer_plain).
#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "query_handler_fixture.hpp"
#include "resolver/dns/rdata.hpp"

using namespace query_handler_test;

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

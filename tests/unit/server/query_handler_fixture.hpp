// What the QueryHandler tests share: a handler over a small local zone and a cache, and the
// parent's replies as the forwarder would hand them over.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resolver/server/query_handler.hpp"
#include "support/records.hpp"
#include "support/time.hpp"

namespace query_handler_test {

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
using test_support::address_record;
using test_support::addresses;
using test_support::at;
using test_support::cname_record;
using test_support::question;
using test_support::ttls;

inline UpstreamOutcome reached(Answer answer) {
  UpstreamOutcome outcome;
  outcome.reached = true;
  outcome.answer = std::move(answer);
  return outcome;
}

inline UpstreamOutcome unreachable() {
  UpstreamOutcome outcome;
  outcome.reached = false;
  outcome.error = "timed out";
  return outcome;
}

inline Answer parent_answer(std::string_view name, std::string_view address, std::uint32_t ttl) {
  Answer answer;
  answer.answers.push_back(address_record(name, address, ttl));
  return answer;
}

inline void check_negative(const Answer& answer, Rcode rcode, std::uint32_t ttl,
                           bool authoritative) {
  CHECK(answer.rcode == rcode);
  CHECK(answer.answers.empty());
  REQUIRE(answer.authority.size() == 1);
  CHECK(answer.authority[0].type == RrType::SOA);
  CHECK(resolver::dns::answer_ttl(answer) == ttl);
  CHECK(answer.authoritative == authoritative);
}

inline std::shared_ptr<const resolver::records::LocalRecords> zone(
    std::vector<ResourceRecord> records) {
  return std::make_shared<const resolver::records::LocalRecords>(std::move(records));
}

// The local zone of these tests, a cache and a handler over both.
struct Fixture {
  explicit Fixture(HandlerSettings settings = {}, CacheSettings cache_settings = {})
      : cache(cache_settings),
        handler(zone({
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

inline HandlerSettings with_parent() {
  HandlerSettings settings;
  settings.has_parent = true;
  return settings;
}

inline std::vector<std::string> sorted(std::vector<std::string> texts) {
  std::sort(texts.begin(), texts.end());
  return texts;
}

// The A records the rotation tests give one name, in file order.
inline const std::vector<std::string> kThree{"192.0.2.1", "192.0.2.2", "192.0.2.3"};

}  // namespace query_handler_test

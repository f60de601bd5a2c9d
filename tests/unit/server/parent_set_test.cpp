// ParentSet: ranking by smoothed RTT, down marking, loop probes. Time is a parameter.
#include "resolver/server/parent_set.hpp"

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

using resolver::dns::DnsName;
using resolver::server::ParentSet;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using Endpoint = boost::asio::ip::udp::endpoint;
using Ranking = std::vector<std::size_t>;

ParentSet::Clock::time_point at(long seconds) {
  return ParentSet::Clock::time_point{} + std::chrono::seconds(seconds);
}

Endpoint endpoint(const char* address, std::uint16_t port = 53) {
  return Endpoint(boost::asio::ip::make_address(address), port);
}

// `count` IPv4 parents, 192.0.2.1:53 upwards.
ParentSet parents(std::size_t count) {
  std::vector<Endpoint> endpoints;
  for (std::size_t i = 0; i < count; ++i) {
    endpoints.push_back(endpoint(("192.0.2." + std::to_string(i + 1)).c_str()));
  }
  return ParentSet(std::move(endpoints));
}

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

}  // namespace

TEST_CASE("parents are kept in the order given, with their endpoints", "[server][parents]") {
  ParentSet set({endpoint("192.0.2.1", 53), endpoint("2001:db8::2", 5353)});
  REQUIRE(set.size() == 2);
  CHECK(set.endpoint(0) == endpoint("192.0.2.1", 53));
  CHECK(set.endpoint(1) == endpoint("2001:db8::2", 5353));
}

TEST_CASE("parents not yet measured nor failed are ranked in the order given",
          "[server][parents]") {
  auto set = parents(4);
  CHECK(set.ranked(at(0)) == Ranking{0, 1, 2, 3});
}

TEST_CASE("an empty parent set ranks nothing", "[server][parents]") {
  ParentSet set(std::vector<Endpoint>{});
  CHECK(set.size() == 0);
  CHECK(set.ranked(at(0)).empty());
}

TEST_CASE("the parent with the lower smoothed RTT is ranked first", "[server][parents]") {
  struct Row {
    std::vector<long> rtt_ms;  // one sample per parent
    Ranking expected;
  };
  auto row = GENERATE(Row{{10, 20}, {0, 1}}, Row{{20, 10}, {1, 0}}, Row{{30, 10, 20}, {1, 2, 0}},
                      Row{{5, 50, 1, 7}, {2, 0, 3, 1}});
  CAPTURE(row.rtt_ms);
  auto set = parents(row.rtt_ms.size());
  for (std::size_t i = 0; i < row.rtt_ms.size(); ++i) {
    set.record_success(i, milliseconds(row.rtt_ms[i]));
  }
  CHECK(set.ranked(at(0)) == row.expected);
}

TEST_CASE("one slow sample does not outweigh a parent's history, a lasting slowdown does",
          "[server][parents]") {
  auto set = parents(2);
  set.record_success(0, milliseconds(10));
  set.record_success(1, milliseconds(20));
  REQUIRE(set.ranked(at(0)) == Ranking{0, 1});

  // 7/8 * 10 ms + 1/8 * 50 ms = 15 ms: still ahead of 20 ms.
  set.record_success(0, milliseconds(50));
  CHECK(set.ranked(at(0)) == Ranking{0, 1});

  for (int i = 0; i < 20; ++i) set.record_success(0, milliseconds(50));
  CHECK(set.ranked(at(0)) == Ranking{1, 0});
}

TEST_CASE("a down parent goes after the up ones, whatever its RTT", "[server][parents]") {
  auto set = parents(3);
  set.record_success(0, milliseconds(1));  // the fastest
  set.record_success(1, milliseconds(30));
  set.record_success(2, milliseconds(20));
  REQUIRE(set.ranked(at(100)) == Ranking{0, 2, 1});

  set.record_failure(0, at(100));
  CHECK(set.ranked(at(100)) == Ranking{2, 1, 0});
  CHECK(set.ranked(at(110)) == Ranking{2, 1, 0});
}

TEST_CASE("down parents are still ranked, among themselves by RTT", "[server][parents]") {
  auto set = parents(3);
  set.record_success(0, milliseconds(10));
  set.record_success(1, milliseconds(5));
  set.record_success(2, milliseconds(30));
  set.record_failure(0, at(0));
  set.record_failure(1, at(0));
  CHECK(set.ranked(at(1)) == Ranking{2, 1, 0});
}

TEST_CASE("a down parent comes back kDownFor after its failure", "[server][parents]") {
  auto set = parents(2);
  set.record_success(0, milliseconds(1));
  set.record_success(1, milliseconds(30));
  const auto failed = at(1000);
  set.record_failure(0, failed);

  struct Row {
    ParentSet::Clock::duration after;
    Ranking expected;
  };
  auto row = GENERATE(Row{std::chrono::seconds(0), {1, 0}}, Row{std::chrono::seconds(29), {1, 0}},
                      Row{ParentSet::kDownFor - std::chrono::nanoseconds(1), {1, 0}},
                      Row{ParentSet::kDownFor, {0, 1}},
                      Row{ParentSet::kDownFor + std::chrono::hours(1), {0, 1}});
  CAPTURE(std::chrono::duration_cast<milliseconds>(row.after).count());
  CHECK(set.ranked(failed + row.after) == row.expected);
}

TEST_CASE("a new failure while down extends the down time from the new failure",
          "[server][parents]") {
  auto set = parents(2);
  set.record_failure(0, at(0));
  set.record_failure(0, at(20));
  CHECK(set.ranked(at(0) + ParentSet::kDownFor) == Ranking{1, 0});
  CHECK(set.ranked(at(20) + ParentSet::kDownFor) == Ranking{0, 1});
}

TEST_CASE("record_success clears a parent's down mark at once", "[server][parents]") {
  auto set = parents(2);
  set.record_success(0, milliseconds(1));
  set.record_success(1, milliseconds(30));
  set.record_failure(0, at(0));
  REQUIRE(set.ranked(at(1)) == Ranking{1, 0});

  set.record_success(0, milliseconds(1));
  CHECK(set.ranked(at(1)) == Ranking{0, 1});
}

TEST_CASE("a looped parent is left out of the ranking, the others keep their order",
          "[server][parents]") {
  auto set = parents(3);
  set.record_success(0, milliseconds(1));
  set.record_success(1, milliseconds(2));
  set.record_success(2, milliseconds(3));
  set.mark_looped(0);
  CHECK(set.ranked(at(0)) == Ranking{1, 2});
  // Neither time nor a success brings it back.
  set.record_success(0, milliseconds(1));
  CHECK(set.ranked(at(0) + ParentSet::kDownFor * 100) == Ranking{1, 2});
}

TEST_CASE("a set whose parents all loop ranks nothing", "[server][parents]") {
  auto set = parents(2);
  set.mark_looped(0);
  set.mark_looped(1);
  CHECK(set.ranked(at(0)).empty());
}

TEST_CASE("mark_looped returns true only the first time", "[server][parents]") {
  auto set = parents(2);
  CHECK_FALSE(set.looped(0));
  CHECK(set.mark_looped(0));
  CHECK(set.looped(0));
  CHECK_FALSE(set.mark_looped(0));
  CHECK_FALSE(set.mark_looped(0));
  CHECK(set.looped(0));
  // The other parent is untouched and has its own first time.
  CHECK_FALSE(set.looped(1));
  CHECK(set.mark_looped(1));
}

TEST_CASE("each parent has its own probe name under loop-probe.resolver.invalid",
          "[server][parents]") {
  const auto suffix = DnsName::from_text("loop-probe.resolver.invalid");
  auto set = parents(5);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < set.size(); ++i) {
    CAPTURE(i, set.probe_name(i).to_text());
    CHECK(set.probe_name(i).is_subdomain_of(suffix));
    CHECK(set.probe_name(i).label_count() == suffix.label_count() + 1);
    keys.insert(set.probe_name(i).key());
  }
  CHECK(keys.size() == set.size());
}

TEST_CASE("probe names are random: two sets of the same parents do not share one",
          "[server][parents]") {
  auto first = parents(3);
  auto second = parents(3);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      CHECK_FALSE(first.probe_name(i) == second.probe_name(j));
    }
  }
}

TEST_CASE("probed_parent finds a parent by its probe name, whatever the letter case",
          "[server][parents]") {
  auto set = parents(3);
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto& probe = set.probe_name(i);
    CAPTURE(i, probe.to_text());
    CHECK(set.probed_parent(probe) == i);
    CHECK(set.probed_parent(DnsName::from_text(upper(probe.to_text()))) == i);
    CHECK(set.probed_parent(DnsName::from_text(probe.to_text() + ".")) == i);
  }
}

TEST_CASE("probed_parent finds nothing for names that are not a probe", "[server][parents]") {
  auto set = parents(2);
  const auto other = parents(1);
  for (const auto& name :
       {DnsName::from_text("www.example.org"), DnsName::from_text("loop-probe.resolver.invalid"),
        DnsName::from_text("resolver.invalid"), DnsName(),
        DnsName::from_text("x." + set.probe_name(0).to_text()), other.probe_name(0)}) {
    CAPTURE(name.to_text());
    CHECK_FALSE(set.probed_parent(name).has_value());
  }
}

TEST_CASE("a looped parent's probe still identifies it", "[server][parents]") {
  auto set = parents(2);
  set.mark_looped(1);
  CHECK(set.probed_parent(set.probe_name(1)) == std::size_t{1});
}

TEST_CASE("describe writes ADDR:PORT, with IPv6 addresses in brackets", "[server][parents]") {
  ParentSet set({endpoint("192.0.2.1", 53), endpoint("2001:db8::1", 5353), endpoint("::1", 1),
                 endpoint("127.0.0.1", 65535)});
  CHECK(set.describe(0) == "192.0.2.1:53");
  CHECK(set.describe(1) == "[2001:db8::1]:5353");
  CHECK(set.describe(2) == "[::1]:1");
  CHECK(set.describe(3) == "127.0.0.1:65535");
}

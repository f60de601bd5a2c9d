#include "resolver/server/in_flight.hpp"

#include <catch2/catch.hpp>

using resolver::server::AnswerSource;
using resolver::server::InFlight;
namespace dns = resolver::dns;

namespace {

dns::Answer answer_with_rcode(dns::Rcode rcode) {
  return dns::failure_answer(rcode);
}

}  // namespace

TEST_CASE("the first question starts a query, the same question later joins it", "[inflight]") {
  InFlight in_flight;
  boost::asio::io_context io;
  CHECK(in_flight.join("q", {&io, [](const dns::Answer&, AnswerSource) {}}, 10, true) ==
        InFlight::Join::Start);
  CHECK(in_flight.join("q", {&io, [](const dns::Answer&, AnswerSource) {}}, 10, true) ==
        InFlight::Join::Joined);
  CHECK(in_flight.join("other", {&io, [](const dns::Answer&, AnswerSource) {}}, 10, true) ==
        InFlight::Join::Start);
  CHECK(in_flight.size() == 2);
  CHECK(in_flight.finish("q").size() == 2);
  CHECK(in_flight.size() == 1);
}

TEST_CASE("a worker at its in-flight limit may still join but not start", "[inflight]") {
  InFlight in_flight;
  boost::asio::io_context io;
  CHECK(in_flight.join("q", {&io, {}}, 10, false) == InFlight::Join::Full);
  CHECK(in_flight.size() == 0);
  REQUIRE(in_flight.join("q", {&io, {}}, 10, true) == InFlight::Join::Start);
  CHECK(in_flight.join("q", {&io, {}}, 10, false) == InFlight::Join::Joined);
}

TEST_CASE("waiters beyond max_waiters are refused", "[inflight]") {
  InFlight in_flight;
  boost::asio::io_context io;
  REQUIRE(in_flight.join("q", {&io, {}}, 2, true) == InFlight::Join::Start);
  CHECK(in_flight.join("q", {&io, {}}, 2, true) == InFlight::Join::Joined);
  CHECK(in_flight.join("q", {&io, {}}, 2, true) == InFlight::Join::Full);
}

TEST_CASE("a prefetch claims a question once and later clients join it", "[inflight]") {
  InFlight in_flight;
  boost::asio::io_context io;
  CHECK(in_flight.claim("q"));
  CHECK_FALSE(in_flight.claim("q"));
  CHECK(in_flight.join("q", {&io, {}}, 10, true) == InFlight::Join::Joined);
  CHECK(in_flight.finish("q").size() == 1);
  CHECK(in_flight.claim("q"));
}

TEST_CASE("taking the waiters for a stale answer keeps the query in flight", "[inflight]") {
  InFlight in_flight;
  boost::asio::io_context io;
  REQUIRE(in_flight.join("q", {&io, {}}, 10, true) == InFlight::Join::Start);
  CHECK(in_flight.take_waiters("q").size() == 1);
  CHECK(in_flight.join("q", {&io, {}}, 10, true) == InFlight::Join::Joined);
  CHECK(in_flight.finish("q").size() == 1);
  CHECK(in_flight.take_waiters("q").empty());
}

TEST_CASE("a waiter of another worker gets its answer on that worker's io_context", "[inflight]") {
  boost::asio::io_context here;
  boost::asio::io_context there;
  std::vector<std::string> got;
  std::vector<InFlight::Waiter> waiters;
  auto note = [&](std::string where) {
    return [&got, where](const dns::Answer& a, AnswerSource source) {
      got.push_back(where + " " + dns::rcode_name(a.rcode) + " " +
                    std::string(source_label(source)));
    };
  };
  waiters.push_back({&here, note("here")});
  waiters.push_back({&there, note("there")});
  InFlight::deliver(std::move(waiters), answer_with_rcode(dns::Rcode::ServFail), AnswerSource::None,
                    here);
  // The local waiter at once; the other only when its own worker runs.
  REQUIRE(got == std::vector<std::string>{"here SERVFAIL none"});
  CHECK(here.poll() == 0);
  CHECK(there.poll() == 1);
  CHECK(got == std::vector<std::string>{"here SERVFAIL none", "there SERVFAIL none"});
}

// The Forwarder without sockets or sleeps: a scripted parent answers when the test says, a
// manual clock ages the cache, and each worker is an io_context the test runs by hand.
#include "resolver/server/forwarder.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "resolver/server/clock.hpp"
#include "support/records.hpp"
#include "support/scripted_parent.hpp"

using namespace std::chrono_literals;
using resolver::dns::Answer;
using resolver::dns::Question;
using resolver::dns::Rcode;
using resolver::server::AnswerSource;
using resolver::server::Forwarder;
using resolver::server::ForwarderLimits;
using resolver::server::InFlight;
using resolver::server::ManualClock;
using resolver::server::QueryHandler;
using test_support::address_record;
using test_support::addresses;
using test_support::question;
using test_support::ScriptedParent;

namespace {

// One server: its cache, handler and in-flight table, and two workers sharing them.
struct Server {
  explicit Server(ForwarderLimits limits = {}) : limits(limits) {}

  resolver::cache::Cache cache;
  QueryHandler handler{std::make_shared<const resolver::records::LocalRecords>(
                           std::vector<resolver::dns::ResourceRecord>{}),
                       cache, resolver::server::HandlerSettings{.has_parent = true}};
  ManualClock clock;
  ScriptedParent parent;
  InFlight in_flight;
  ForwarderLimits limits;
  boost::asio::io_context worker_a;
  boost::asio::io_context worker_b;
  Forwarder forwarder_a{worker_a, handler, parent, in_flight, clock, limits, 0ms};
  Forwarder forwarder_b{worker_b, handler, parent, in_flight, clock, limits, 0ms};

  // Caches `name` -> `address` for ten seconds from now, as a parent's earlier answer would.
  bool hold(const std::string& name, const std::string& address) {
    Answer answer;
    answer.answers.push_back(address_record(name, address, 10));
    return cache.insert(question(name), answer, clock.now());
  }
};

// Collects what the clients of a test were answered.
struct Replies {
  std::vector<Answer> answers;
  std::vector<AnswerSource> sources;  // where each answer came from
  Forwarder::Reply reply() {
    return [this](const Answer& answer, AnswerSource source) {
      answers.push_back(answer);
      sources.push_back(source);
    };
  }
};

}  // namespace

TEST_CASE("identical questions in flight go upstream once and every client gets the answer",
          "[forwarder]") {
  Server server;
  Replies replies;
  for (int i = 0; i < 3; ++i) server.forwarder_a.forward(question("popular.test"), replies.reply());
  REQUIRE(server.parent.questions.size() == 1);
  CHECK(replies.answers.empty());
  server.parent.answer(0, "192.0.2.7");
  REQUIRE(replies.answers.size() == 3);
  for (const auto& answer : replies.answers)
    CHECK(addresses(answer) == std::vector<std::string>{"192.0.2.7"});
  CHECK(replies.sources == std::vector<AnswerSource>(3, AnswerSource::Parent));
  CHECK(server.in_flight.size() == 0);
  CHECK(server.cache.lookup(question("popular.test"), server.clock.now()));
}

TEST_CASE("a client of another worker joins the query in flight and is answered on its worker",
          "[forwarder]") {
  Server server;
  Replies on_a;
  Replies on_b;
  server.forwarder_a.forward(question("popular.test"), on_a.reply());
  server.forwarder_b.forward(question("popular.test"), on_b.reply());
  REQUIRE(server.parent.questions.size() == 1);
  server.parent.answer(0, "192.0.2.7");
  CHECK(on_a.answers.size() == 1);
  CHECK(on_b.answers.empty());  // posted to worker b, not run on a's thread
  CHECK(server.worker_b.poll() == 1);
  CHECK(on_b.answers.size() == 1);
}

TEST_CASE("a question already answered into the cache is not asked again", "[forwarder]") {
  Server server;
  Answer cached;
  cached.answers.push_back(address_record("popular.test", "192.0.2.8", 60));
  // Another worker's query ended between this client's cache miss and its forward.
  REQUIRE(server.cache.insert(question("popular.test"), cached, server.clock.now()));
  Replies replies;
  server.forwarder_b.forward(question("popular.test"), replies.reply());
  CHECK(server.parent.questions.empty());
  REQUIRE(replies.answers.size() == 1);
  CHECK(addresses(replies.answers[0]) == std::vector<std::string>{"192.0.2.8"});
  CHECK(replies.sources[0] == AnswerSource::Cache);
  CHECK(server.in_flight.size() == 0);
}

TEST_CASE("beyond max_in_flight per worker a new question gets SERVFAIL at once",
          "[forwarder][limits]") {
  Server server(ForwarderLimits{2, 100});
  Replies replies;
  server.forwarder_a.forward(question("one.test"), replies.reply());
  server.forwarder_a.forward(question("two.test"), replies.reply());
  server.forwarder_a.forward(question("three.test"), replies.reply());
  CHECK(server.parent.questions.size() == 2);
  REQUIRE(replies.answers.size() == 1);
  CHECK(replies.answers[0].rcode == Rcode::ServFail);
  CHECK(replies.sources[0] == AnswerSource::None);
  // The other worker has its own allowance, and may still join what a started.
  server.forwarder_b.forward(question("three.test"), replies.reply());
  server.forwarder_b.forward(question("one.test"), replies.reply());
  CHECK(server.parent.questions.size() == 3);
  CHECK(replies.answers.size() == 1);
}

TEST_CASE("beyond max_waiters on one question a client gets SERVFAIL at once",
          "[forwarder][limits]") {
  Server server(ForwarderLimits{10, 2});
  Replies replies;
  for (int i = 0; i < 3; ++i) server.forwarder_a.forward(question("popular.test"), replies.reply());
  REQUIRE(replies.answers.size() == 1);
  CHECK(replies.answers[0].rcode == Rcode::ServFail);
  server.parent.answer(0, "192.0.2.7");
  CHECK(replies.answers.size() == 3);
}

TEST_CASE("with an expired answer held, waiting clients get it stale while the query goes on",
          "[forwarder][stale]") {
  Server server;
  REQUIRE(server.hold("fading.test", "192.0.2.70"));
  server.clock.advance(20s);  // expired ten seconds ago
  Replies replies;
  server.forwarder_a.forward(question("fading.test"), replies.reply());
  REQUIRE(server.parent.questions.size() == 1);
  CHECK(replies.answers.empty());
  server.worker_a.poll();  // the client response timer (0 here) fires
  REQUIRE(replies.answers.size() == 1);
  CHECK(replies.answers[0].extended_error == resolver::dns::kEdeStaleAnswer);
  CHECK(replies.sources[0] == AnswerSource::Stale);
  CHECK(test_support::ttls(replies.answers[0]) == std::vector<std::uint32_t>{30});
  CHECK(server.in_flight.size() == 1);  // still refreshing the cache
  server.parent.answer(0, "192.0.2.71");
  CHECK(replies.answers.size() == 1);  // nobody is answered twice
  auto fresh = server.cache.lookup(question("fading.test"), server.clock.now());
  REQUIRE(fresh);
  CHECK(addresses(*fresh) == std::vector<std::string>{"192.0.2.71"});
}

TEST_CASE("a failed parent gives the stale answer if one is held, else SERVFAIL",
          "[forwarder][stale]") {
  Server server;
  REQUIRE(server.hold("fading.test", "192.0.2.70"));
  server.clock.advance(20s);
  Replies replies;
  server.forwarder_a.forward(question("fading.test"), replies.reply());
  server.forwarder_a.forward(question("unknown.test"), replies.reply());
  REQUIRE(server.parent.questions.size() == 2);
  server.parent.fail(0);
  server.parent.fail(1);
  REQUIRE(replies.answers.size() == 2);
  CHECK(replies.answers[0].extended_error == resolver::dns::kEdeStaleAnswer);
  CHECK(replies.answers[1].rcode == Rcode::ServFail);
  CHECK(replies.sources == std::vector<AnswerSource>{AnswerSource::Stale, AnswerSource::Parent});
}

TEST_CASE("a prefetch asks once and clients arriving meanwhile wait for it", "[forwarder]") {
  Server server;
  server.forwarder_a.refresh(question("popular.test"));
  server.forwarder_a.refresh(question("popular.test"));
  Replies replies;
  server.forwarder_b.forward(question("popular.test"), replies.reply());
  REQUIRE(server.parent.questions.size() == 1);
  server.parent.answer(0, "192.0.2.7");
  server.worker_b.poll();
  CHECK(replies.answers.size() == 1);
}

TEST_CASE("a prefetch that arrives after another one renewed the entry does not ask again",
          "[forwarder][prefetch]") {
  Server server;
  REQUIRE(server.hold("popular.test", "192.0.2.70"));
  server.clock.advance(9500ms);  // the last tenth of its lifetime: a hit asks for a refresh
  server.forwarder_a.refresh(question("popular.test"));
  REQUIRE(server.parent.questions.size() == 1);
  server.parent.answer(0, "192.0.2.71", 10);
  // A second hit on the old entry, answered before the renewal was stored, asked for this one.
  server.forwarder_b.refresh(question("popular.test"));
  CHECK(server.parent.questions.size() == 1);
  CHECK(server.in_flight.size() == 0);
  // Once the renewed entry is itself near its end, a refresh asks again.
  server.clock.advance(9500ms);
  server.forwarder_b.refresh(question("popular.test"));
  CHECK(server.parent.questions.size() == 2);
}

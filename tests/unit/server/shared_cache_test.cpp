// The shared cache against a scripted Redis on the test's own io_context: lookups before the
// parents, stores after them, values that must answer the question asked, and Redis slow or
// gone costing a bounded wait and then nothing.
#include "resolver/server/shared_cache.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resolver/cache/cache_file.hpp"
#include "support/records.hpp"
#include "support/scripted_parent.hpp"

namespace {

namespace asio = boost::asio;
using namespace resolver;
using namespace resolver::server;
using namespace std::chrono_literals;
using asio::ip::tcp;
using Command = std::vector<std::string>;

// Redis as far as the shared cache uses it (GET, SET with PX), reading commands with hiredis's
// reader (a command is a RESP array of bulk strings, as a reply can be). `silent`: read and
// never answer, like a Redis stuck on a slow disk.
class ScriptedRedis {
 public:
  explicit ScriptedRedis(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  // Closes the connection and stops accepting: Redis is gone.
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (socket_) socket_->close(ignored);
  }

  std::vector<Command> commands;
  std::map<std::string, std::string> values;
  bool silent = false;
  std::size_t connections = 0;

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
      if (error) return;
      ++connections;
      socket_ = std::make_unique<tcp::socket>(std::move(socket));
      reader_.reset(redisReaderCreate());
      read();
      accept();
    });
  }
  void read() {
    socket_->async_read_some(
        asio::buffer(in_), [this](const boost::system::error_code& error, std::size_t size) {
          if (error) return;
          redisReaderFeed(reader_.get(), in_.data(), size);
          void* parsed = nullptr;
          while (redisReaderGetReply(reader_.get(), &parsed) == REDIS_OK && parsed != nullptr) {
            auto* array = static_cast<redisReply*>(parsed);
            Command command;
            for (std::size_t i = 0; i < array->elements; ++i) {
              command.emplace_back(array->element[i]->str, array->element[i]->len);
            }
            freeReplyObject(parsed);
            commands.push_back(command);
            if (!silent) answer(command);
          }
          read();
        });
  }
  void answer(const Command& command) {
    std::string reply = "+OK\r\n";
    if (command[0] == "GET") {
      auto found = values.find(command[1]);
      reply = found == values.end()
                  ? "$-1\r\n"
                  : "$" + std::to_string(found->second.size()) + "\r\n" + found->second + "\r\n";
    } else if (command[0] == "SET") {
      values[command[1]] = command[2];
    }
    auto bytes = std::make_shared<std::string>(reply);
    asio::async_write(*socket_, asio::buffer(*bytes),
                      [bytes](const boost::system::error_code&, std::size_t) {});
  }

  struct ReaderDeleter {
    void operator()(redisReader* reader) const { redisReaderFree(reader); }
  };
  tcp::acceptor acceptor_;
  std::unique_ptr<tcp::socket> socket_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  std::array<char, 4096> in_{};
};

// Runs the io_context until `done` holds, failing the test after two seconds: the waits here
// are on events (a connection, a reply, a timer of the code under test), never fixed sleeps.
void run_until(asio::io_context& io, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
  REQUIRE(done());
}

struct Fixture {
  explicit Fixture(std::chrono::milliseconds timeout = 200ms)
      : redis(io),
        client(io, RedisSettings{redis.endpoint(), timeout, 1000ms, 60'000ms, 60'000ms},
               system_clock(), &counters),
        shared(client, parent, cache, system_clock(), &counters) {
    client.start();
    run_until(io, [this] { return client.up(); });
  }

  // Asks through the shared cache; the outcome, once there is one.
  std::optional<UpstreamOutcome>& ask(std::string_view name) {
    outcomes.emplace_back();
    auto& slot = outcomes.back();
    shared.query(test_support::question(name, dns::RrType::A),
                 [&slot](UpstreamOutcome outcome) { slot = std::move(outcome); });
    return slot;
  }

  asio::io_context io;
  ScriptedRedis redis;
  SharedCacheCounters counters;
  cache::Cache cache;
  test_support::ScriptedParent parent;
  RedisClient client;
  SharedCache shared;
  std::deque<std::optional<UpstreamOutcome>> outcomes;
};

}  // namespace

TEST_CASE("a miss asks the parents and stores their answer for its lifetime; the next is a hit",
          "[shared-cache]") {
  Fixture fixture;
  auto& first = fixture.ask("www.example");
  run_until(fixture.io, [&] { return fixture.parent.questions.size() == 1; });
  CHECK(fixture.redis.commands.at(0) ==
        Command{"GET", SharedCache::key_of(test_support::question("www.example", dns::RrType::A))});
  fixture.parent.answer(0, "192.0.2.80", 300);
  REQUIRE(first);
  CHECK(first->reached);
  CHECK_FALSE(first->shared);  // the parents' answer
  run_until(fixture.io, [&] { return fixture.redis.commands.size() == 2; });
  const auto& set = fixture.redis.commands[1];
  REQUIRE(set.size() == 5);
  CHECK(set[0] == "SET");
  CHECK(set[3] == "PX");
  CHECK(set[4] == "300000");
  cache::CacheEntry stored;
  REQUIRE(cache::decode_cache_entry(set[2], system_clock().now(), std::chrono::system_clock::now(),
                                    stored) == "");
  CHECK(test_support::addresses(stored.answer) == std::vector<std::string>{"192.0.2.80"});

  // Another server (here: the same one) finds it without asking the parents.
  auto& second = fixture.ask("WWW.example");
  run_until(fixture.io, [&] { return second.has_value(); });
  CHECK(second->reached);
  CHECK(second->shared);
  CHECK(test_support::addresses(second->answer) == std::vector<std::string>{"192.0.2.80"});
  CHECK(second->answer.answers.at(0).ttl <= 300);
  CHECK(second->answer.answers.at(0).ttl >= 298);
  CHECK(fixture.parent.questions.size() == 1);
  CHECK(fixture.counters.hits.value() == 1);
  CHECK(fixture.counters.misses.value() == 1);
  CHECK(fixture.counters.stores.value() == 1);
}

TEST_CASE("a value that answers another question, or is not an entry, is refused",
          "[shared-cache]") {
  Fixture fixture;
  auto now = system_clock().now();
  auto wall = std::chrono::system_clock::now();
  cache::CacheEntry other{
      test_support::question("other.example", dns::RrType::A), {}, now + 60s, 60s};
  other.answer.answers.push_back(test_support::address_record("other.example", "192.0.2.66"));
  auto victim = test_support::question("victim.example", dns::RrType::A);
  fixture.redis.values[SharedCache::key_of(victim)] = cache::encode_cache_entry(other, now, wall);
  fixture.ask("victim.example");
  run_until(fixture.io, [&] { return fixture.parent.questions.size() == 1; });

  fixture.redis.values[SharedCache::key_of(victim)] = "not an entry";
  fixture.ask("victim.example");
  run_until(fixture.io, [&] { return fixture.parent.questions.size() == 2; });
  CHECK(fixture.counters.errors.value() == 2);
  CHECK(fixture.counters.hits.value() == 0);
}

TEST_CASE("an entry in the last tenth of its lifetime is a miss, so the parents renew it",
          "[shared-cache]") {
  Fixture fixture;
  auto now = system_clock().now();
  auto wall = std::chrono::system_clock::now();
  auto asked = test_support::question("old.example", dns::RrType::A);
  cache::CacheEntry entry{asked, {}, now + 5s, 100s};
  entry.answer.answers.push_back(test_support::address_record("old.example", "192.0.2.1", 100));
  fixture.redis.values[SharedCache::key_of(asked)] = cache::encode_cache_entry(entry, now, wall);
  fixture.ask("old.example");
  run_until(fixture.io, [&] { return fixture.parent.questions.size() == 1; });
  CHECK(fixture.counters.misses.value() == 1);
}

TEST_CASE("a silent Redis costs each lookup its timeout, then the breaker skips it",
          "[shared-cache]") {
  Fixture fixture(30ms);
  fixture.redis.silent = true;
  for (std::size_t i = 1; i <= RedisClient::kTimeoutsToBreak; ++i) {
    fixture.ask("slow" + std::to_string(i) + ".example");
  }
  // Each lookup gives up after its timeout and goes to the parents; the third opens the breaker.
  run_until(fixture.io,
            [&] { return fixture.parent.questions.size() == RedisClient::kTimeoutsToBreak; });
  run_until(fixture.io, [&] { return !fixture.client.up(); });
  CHECK(fixture.counters.timeouts.value() >= 2);
  CHECK(fixture.counters.failures.value() == 1);
  CHECK(fixture.counters.up.value() == 0);

  // While the breaker is open a lookup is not even sent: the parents are asked within the call.
  fixture.ask("later.example");
  CHECK(fixture.parent.questions.size() == RedisClient::kTimeoutsToBreak + 1);
  CHECK(fixture.counters.skipped.value() == 1);
}

TEST_CASE("Redis going away fails the waiting lookup at once and is retried in the background",
          "[shared-cache]") {
  Fixture fixture;
  fixture.redis.silent = true;
  fixture.ask("waiting.example");
  run_until(fixture.io, [&] { return fixture.redis.commands.size() == 1; });
  fixture.redis.stop();
  run_until(fixture.io, [&] { return fixture.parent.questions.size() == 1; });
  CHECK(fixture.counters.failures.value() == 1);
  CHECK(fixture.counters.timeouts.value() == 0);  // it did not wait for its timeout
  CHECK(fixture.counters.errors.value() == 1);    // the lookup is counted, as an error
  // Stores are skipped while it is down; the parents' answer still goes to the client.
  fixture.parent.answer(0, "192.0.2.5");
  REQUIRE(fixture.outcomes.front());
  CHECK(fixture.outcomes.front()->reached);
  CHECK(fixture.counters.stores.value() == 0);
}

TEST_CASE("after the breaker's pause the connection comes back by itself", "[shared-cache]") {
  asio::io_context io;
  SharedCacheCounters counters;
  // A port nothing listens on: refused at once.
  tcp::endpoint nowhere;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    nowhere = probe.local_endpoint();
  }
  RedisClient client(io, RedisSettings{nowhere, 50ms, 1000ms, 20ms, 20ms}, system_clock(),
                     &counters);
  client.start();
  run_until(io, [&] { return counters.failures.value() >= 1; });
  CHECK_FALSE(client.up());
  // Redis starts on that port; the next attempt, made by the breaker's timer, finds it.
  tcp::acceptor redis(io, nowhere);
  bool accepted = false;
  tcp::socket peer(io);
  redis.async_accept(peer, [&](const boost::system::error_code& error) { accepted = !error; });
  run_until(io, [&] { return accepted && client.up(); });
  CHECK(counters.up.value() == 1);
}

// UdpServer's reader thread over a loopback socket, with a scripted parent and an event loop
// the test runs by hand (what the reader hands off waits until the loop is run) or on a
// thread of its own.
#include "resolver/server/udp_server.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <catch2/catch.hpp>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "resolver/dns/response_builder.hpp"
#include "support/records.hpp"
#include "support/worker_parts.hpp"

using namespace std::chrono_literals;
using boost::asio::ip::udp;
using resolver::dns::RrType;
using test_support::address_record;
using test_support::question;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes dns_query(std::string_view name, std::uint16_t id) {
  std::array<std::uint8_t, 512> buffer{};
  auto size = resolver::dns::build_query(question(name, RrType::A), id, true, buffer);
  return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size)};
}

// A worker with a reader thread: the loop's Responder forwards to a scripted parent, the
// reader's answers local data and hands the rest to `loop`, which only the test runs.
struct ReaderWorker : test_support::WorkerParts {
  explicit ReaderWorker(resolver::server::ForwarderLimits limits = {})
      : WorkerParts({address_record("host.test", "192.0.2.1")}, true, limits),
        responder(resolver::server::ResponderParts{
            handler, routes(), {}, resolver::server::QueryLogFormat::Off, &metrics, &clock}),
        reader(resolver::server::ResponderParts{handler,
                                                routes(),
                                                {},
                                                resolver::server::QueryLogFormat::Off,
                                                &reader_metrics,
                                                &clock,
                                                &loop}),
        server(udp::socket(loop, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
               loop, responder, reader, reader_metrics.backlog_dropped, clock),
        reading([this] { server.read_until_stopped(); }) {}

  ~ReaderWorker() {
    server.stop_reading();
    reading.join();
  }

  resolver::server::WorkerMetrics reader_metrics;
  resolver::server::Responder responder;
  resolver::server::Responder reader;
  resolver::server::UdpServer server;
  std::thread reading;
};

// A connected client socket that waits at most 5 s for a reply.
struct Client {
  explicit Client(udp::endpoint server) : socket(io) {
    socket.connect(server);
    timeval timeout{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  void send(const Bytes& bytes) { socket.send(boost::asio::buffer(bytes)); }
  // A local name's answer comes back from the reader after every datagram sent before it
  // was read: once it is in, the reader has taken all of them.
  bool reader_caught_up() {
    send(dns_query("host.test", 0xffff));
    std::array<std::uint8_t, 512> reply{};
    boost::system::error_code error;
    socket.receive(boost::asio::buffer(reply), 0, error);
    return !error;
  }

  boost::asio::io_context io;
  udp::socket socket;
};

// The worker's loop, run on a thread of its own until the test ends, however it ends.
struct LoopThread {
  explicit LoopThread(boost::asio::io_context& loop)
      : loop(loop), waiting(boost::asio::make_work_guard(loop)), thread([&loop] { loop.run(); }) {}
  ~LoopThread() {
    waiting.reset();
    loop.stop();
    thread.join();
  }

  boost::asio::io_context& loop;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> waiting;
  std::thread thread;
};

}  // namespace

TEST_CASE("a reader holds at most 512 misses for a loop that is behind, and drops the rest",
          "[udp_server][reader]") {
  ReaderWorker worker;
  Client client(worker.server.local_endpoint());
  // In rounds small enough for the socket's buffer, so that the kernel drops none.
  std::uint16_t id = 0;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 50; ++i, ++id)
      client.send(dns_query("miss" + std::to_string(id) + ".test", id));
    REQUIRE(client.reader_caught_up());
  }
  // Each round's hand-offs were posted before the next round was read: the last round's
  // answer says all of them but its own (which found no room) are in.
  CHECK(worker.parent.questions.empty());  // the loop has not run
  CHECK(worker.reader_metrics.backlog_dropped.value() == 600 - 512);

  worker.loop.poll();
  CHECK(worker.parent.questions.size() == 512);
  CHECK(worker.parent.questions.front().name.to_text() == "miss0.test");
  CHECK(worker.parent.questions.back().name.to_text() == "miss511.test");

  // The loop took them up: the reader has room again.
  client.send(dns_query("late.test", id));
  auto waiting = boost::asio::make_work_guard(worker.loop);
  worker.loop.restart();
  CHECK(worker.loop.run_one_for(5s) == 1);
  REQUIRE(worker.parent.questions.size() == 513);
  CHECK(worker.parent.questions.back().name.to_text() == "late.test");
  CHECK(worker.reader_metrics.backlog_dropped.value() == 600 - 512);
}

TEST_CASE("a reader and a loop on threads of their own pass every miss in order",
          "[udp_server][reader]") {
  // The loop is held while the reader fills most of the ring, then let go to empty it on its
  // own thread while the reader fills it again, around and around: a slot read before the
  // reader finished it, or refilled before the loop was done with it, shows as a question
  // lost, repeated or out of order, and under the sanitizers as a race.
  // The parent never answers: every miss stays upstream, and none may be refused.
  ReaderWorker worker({.max_in_flight = 10000});
  Client client(worker.server.local_endpoint());
  LoopThread looping(worker.loop);
  // The reader posts a batch's hand-offs after it answers the batch: the answer to a second
  // local query says the last misses are posted, and what the test posts now runs after them.
  auto everything_posted = [&] { return client.reader_caught_up() && client.reader_caught_up(); };

  constexpr int kCycles = 10;
  constexpr int kPerCycle = 500;  // what the ring holds while the loop is held
  std::uint16_t id = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    REQUIRE(everything_posted());
    std::promise<void> go;
    boost::asio::post(worker.loop, [held = go.get_future()] { held.wait(); });
    for (int round = 0; round < kPerCycle / 50; ++round) {
      for (int i = 0; i < 50; ++i, ++id)
        client.send(dns_query("miss" + std::to_string(id) + ".test", id));
      REQUIRE(client.reader_caught_up());
    }
    go.set_value();
  }
  REQUIRE(everything_posted());
  std::promise<std::vector<std::string>> asked;
  boost::asio::post(worker.loop, [&] {
    std::vector<std::string> names;
    for (const auto& question : worker.parent.questions) names.push_back(question.name.to_text());
    asked.set_value(std::move(names));
  });
  auto answered = asked.get_future();
  REQUIRE(answered.wait_for(30s) == std::future_status::ready);
  auto names = answered.get();

  // Whether the loop emptied a cycle's slots before the reader needed them is up to the
  // scheduler: a miss may be dropped (the ring full, its edge exercised), but then it is
  // counted, and the rest keep their order.
  auto dropped = worker.reader_metrics.backlog_dropped.value();
  REQUIRE(names.size() + dropped == kCycles * kPerCycle);
  int previous = -1;
  for (const auto& name : names) {
    int number = std::stoi(name.substr(4));
    REQUIRE(name == "miss" + std::to_string(number) + ".test");
    REQUIRE(number > previous);
    previous = number;
  }
}

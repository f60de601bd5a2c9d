// The upstream socket pool: an answered query's socket serves a later one to the same parent,
// picked at random among the idle ones, and is retired after kMaxSocketUses queries.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "resolver/server/upstream.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using resolver::server::UdpSocketPool;

const udp::endpoint kParent{asio::ip::make_address("127.0.0.1"), 53};
const udp::endpoint kOtherParent{asio::ip::make_address("127.0.0.1"), 5353};

UdpSocketPool::Lease take(UdpSocketPool& pool, std::size_t parent, const udp::endpoint& endpoint) {
  boost::system::error_code error;
  auto lease = pool.take(parent, endpoint, error);
  REQUIRE_FALSE(error);
  return lease;
}

}  // namespace

TEST_CASE("a new socket is connected to its parent; a returned one serves again", "[upstream]") {
  asio::io_context io;
  UdpSocketPool pool(io, 2);
  auto first = take(pool, 0, kParent);
  CHECK(first.uses == 0);
  CHECK(first.socket.remote_endpoint() == kParent);
  auto port = first.socket.local_endpoint().port();
  CHECK(port != 0);
  pool.give_back(0, {std::move(first.socket), 1});
  CHECK(pool.idle(0) == 1);

  // Another parent never gets it.
  auto other = take(pool, 1, kOtherParent);
  CHECK(other.socket.remote_endpoint() == kOtherParent);
  CHECK(pool.idle(0) == 1);

  auto again = take(pool, 0, kParent);
  CHECK(again.socket.local_endpoint().port() == port);
  CHECK(again.uses == 1);
  CHECK(pool.idle(0) == 0);
}

TEST_CASE("idle sockets are taken at random, not in the order they came back", "[upstream]") {
  asio::io_context io;
  UdpSocketPool pool(io, 1);
  std::vector<UdpSocketPool::Lease> leases;
  for (int i = 0; i < 16; ++i) leases.push_back(take(pool, 0, kParent));
  std::vector<unsigned short> returned;
  for (auto& lease : leases) {
    returned.push_back(lease.socket.local_endpoint().port());
    pool.give_back(0, {std::move(lease.socket), 1});
  }
  // Last in, first out (or first in, first out) would give back the same order every time;
  // 16 sockets taken at random come out in either order with a chance of 2 / 16!.
  std::vector<unsigned short> taken;
  for (int i = 0; i < 16; ++i)
    taken.push_back(take(pool, 0, kParent).socket.local_endpoint().port());
  std::vector<unsigned short> reversed(returned.rbegin(), returned.rend());
  CHECK(taken != returned);
  CHECK(taken != reversed);
  CHECK(std::set<unsigned short>(taken.begin(), taken.end()) ==
        std::set<unsigned short>(returned.begin(), returned.end()));
}

TEST_CASE("a socket is retired after kMaxSocketUses queries, and the pool is bounded",
          "[upstream]") {
  asio::io_context io;
  UdpSocketPool pool(io, 1);
  auto worn = take(pool, 0, kParent);
  pool.give_back(0, {std::move(worn.socket), UdpSocketPool::kMaxSocketUses});
  CHECK(pool.idle(0) == 0);

  std::vector<UdpSocketPool::Lease> leases;
  for (std::size_t i = 0; i <= UdpSocketPool::kMaxIdle; ++i)
    leases.push_back(take(pool, 0, kParent));
  for (auto& lease : leases) pool.give_back(0, {std::move(lease.socket), 1});
  CHECK(pool.idle(0) == UdpSocketPool::kMaxIdle);
}

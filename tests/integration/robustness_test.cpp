// Malformed input, spoofed upstream replies and bursts of identical misses.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_parser.hpp"

using namespace harness;
using namespace resolver::dns;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

std::uint16_t id_of(const Bytes& query) {
  return static_cast<std::uint16_t>(query[0] << 8 | query[1]);
}

}  // namespace

TEST_CASE("50,000 garbage and mutated datagrams do not stop the server", "[robustness]") {
  FakeParent parent([](const Bytes& query) {
    auto parse = parse_query(query);
    if (parse.action != QueryParse::Action::Answer) return std::vector<Bytes>{};
    auto record = a_record("placeholder.example", "192.0.2.99", 60);
    record.name = parse.query.question.name;  // may hold any bytes: mutated queries get here
    return std::vector<Bytes>{dns_reply(query, {record})};
  });
  // One worker: with several, SO_REUSEPORT may queue the garbage on one socket and the check
  // queries below on another, and "answered" would not mean "the garbage is behind us".
  ResolverServer server(write_temp_file("garbage.txt", kRecords), parent.port(),
                        {"--threads", "1"});
  std::mt19937 random(12345);
  auto valid = dns_query("local.example", RrType::A, 7, true, 1232);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 50000; ++i) {
    Bytes datagram;
    if (i % 2 == 0) {
      datagram.resize(random() % 600);
      for (auto& byte : datagram) byte = static_cast<std::uint8_t>(random());
    } else {
      datagram = valid;
      for (int flips = 0; flips < 1 + static_cast<int>(random() % 4); ++flips) {
        datagram[random() % datagram.size()] = static_cast<std::uint8_t>(random());
      }
      if (random() % 4 == 0) datagram.resize(random() % datagram.size());
    }
    sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&address),
           sizeof address);
  }
  close(fd);
  // The server may still be working through the queued garbage: ask until it answers.
  std::optional<Bytes> reply;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!reply && std::chrono::steady_clock::now() < deadline) {
    reply = udp_exchange(server.port(), dns_query("local.example", RrType::A), 1s);
  }
  REQUIRE(reply);
  CHECK(header_of(*reply).ancount == 1);
  CHECK(text_query(server.port(), "local.example") == "local.example,192.0.2.1,60");
  CHECK(server.process().running());
}

TEST_CASE("replies with a wrong ID or question are dropped and the honest one is used",
          "[robustness]") {
  FakeParent parent([](const Bytes& query) {
    auto forged_id = dns_reply(query, {a_record("target.example", "6.6.6.6", 3600)});
    forged_id[0] ^= 0x5A;
    auto other_question = dns_query("other.example", RrType::A, id_of(query));
    auto forged_question = dns_reply(other_question, {a_record("other.example", "6.6.6.7", 3600)});
    auto honest = dns_reply(query, {a_record("target.example", "192.0.2.80", 300),
                                    a_record("unsolicited.example", "6.6.6.8", 3600)});
    return std::vector<Bytes>{forged_id, forged_question, honest};
  });
  ResolverServer child(write_temp_file("spoof.txt", kRecords), parent.port());
  CHECK(text_query(child.port(), "target.example") == "target.example,192.0.2.80,300");
  int before = parent.queries();
  // The unsolicited record for another name was not cached: asking for it goes upstream.
  text_query(child.port(), "unsolicited.example");
  CHECK(parent.queries() > before);
}

TEST_CASE("identical misses in flight are coalesced into one upstream query across workers",
          "[robustness]") {
  HoldingParent parent;
  ResolverServer child(write_temp_file("coalesce.txt", kRecords), parent.port(),
                       {"--threads", "2"});
  // Twenty clients, spread by the kernel over both workers' sockets. Each asks the uncached
  // name, then a local one from the same socket: the local answer means its worker has taken
  // the miss in (one socket's datagrams are served in order), so all twenty wait at once.
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (std::uint16_t i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<UdpClient>(child.port()));
    clients.back()->send(dns_query("popular.example", RrType::A, i));
    clients.back()->send(
        dns_query("local.example", RrType::A, static_cast<std::uint16_t>(100 + i)));
  }
  for (std::uint16_t i = 0; i < 20; ++i) {
    REQUIRE(clients[i]->receive(static_cast<std::uint16_t>(100 + i)));
  }
  REQUIRE(parent.wait_for_queries(1));
  parent.release([](const Bytes& query) {
    return dns_reply(query, {a_record("popular.example", "192.0.2.44", 60)});
  });
  int answered = 0;
  for (std::uint16_t i = 0; i < 20; ++i) {
    auto reply = clients[i]->receive(i);
    if (reply && header_of(*reply).ancount == 1) ++answered;
  }
  CHECK(answered == 20);
  CHECK(parent.queries() == 1);
}

TEST_CASE("a burst from many clients is answered in full, each reply to the client that asked",
          "[robustness]") {
  // One worker, queries queued before it reads: they arrive in recvmmsg batches whose replies
  // leave together, so every reply must carry its own client's address.
  std::string records;
  for (int i = 0; i < 50; ++i) {
    records +=
        "n" + std::to_string(i) + ".burst.example,192.0.2." + std::to_string(i + 1) + ",60\n";
  }
  ResolverServer server(write_temp_file("burst.txt", records), std::nullopt, {"--threads", "1"});
  constexpr int kClients = 8;
  constexpr int kQueries = 100;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> clients;
  for (int c = 0; c < kClients; ++c) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    clients.push_back(fd);
  }
  // Query j of client c asks n<(c*kQueries+j) % 60>: names 50..59 are not local (NXDOMAIN from
  // the general path), the rest are local (the hit path), with and without EDNS.
  auto name_of = [](int c, int j) {
    return "n" + std::to_string((c * kQueries + j) % 60) + ".burst.example";
  };
  // Waves of 200 datagrams: a fresh Debian caps the server's receive buffer at about 400 of
  // them (net.core.rmem_max), and a drop would look like a lost reply.
  constexpr int kWave = 25;
  std::vector<std::set<int>> answered(kClients);
  Bytes buffer(2048);
  for (int wave = 0; wave < kQueries / kWave; ++wave) {
    for (int j = wave * kWave; j < (wave + 1) * kWave; ++j) {
      for (int c = 0; c < kClients; ++c) {
        auto id = static_cast<std::uint16_t>(c * 1000 + j);
        auto query = dns_query(name_of(c, j), RrType::A, id, true,
                               j % 2 == 0 ? std::optional<std::uint16_t>(1232) : std::nullopt);
        REQUIRE(sendto(clients[static_cast<std::size_t>(c)], query.data(), query.size(), 0,
                       reinterpret_cast<sockaddr*>(&address),
                       sizeof address) == static_cast<ssize_t>(query.size()));
      }
    }
    for (int c = 0; c < kClients; ++c) {
      auto& mine = answered[static_cast<std::size_t>(c)];
      while (mine.size() < static_cast<std::size_t>((wave + 1) * kWave)) {
        auto got = recv(clients[static_cast<std::size_t>(c)], buffer.data(), buffer.size(), 0);
        if (got <= 0) break;  // timed out: the CHECK below says how many are missing
        Bytes reply(buffer.begin(), buffer.begin() + got);
        auto id = id_of(reply);
        int j = id - c * 1000;
        REQUIRE(j >= 0);
        REQUIRE(j < kQueries);
        auto name = DnsName::from_text(name_of(c, j));
        auto parsed = parse_upstream_reply(reply, id, Question{name, RrType::A, RrClass::IN});
        REQUIRE(parsed.status == ReplyStatus::Accepted);
        int number = (c * kQueries + j) % 60;
        if (number < 50) {
          REQUIRE(parsed.answer.answers.size() == 1);
          CHECK(parsed.answer.answers[0].rdata ==
                std::vector<std::uint8_t>{192, 0, 2, static_cast<std::uint8_t>(number + 1)});
        } else {
          CHECK(parsed.answer.rcode == Rcode::NxDomain);
        }
        mine.insert(j);
      }
    }
  }
  for (int c = 0; c < kClients; ++c) {
    CAPTURE(c);
    CHECK(answered[static_cast<std::size_t>(c)].size() == kQueries);
  }
  for (int fd : clients) close(fd);
}

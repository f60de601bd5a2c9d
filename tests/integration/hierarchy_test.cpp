// The course exercise's scenario: a root and a child built from the real binary.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "resolver/dns/types.hpp"

using namespace harness;
using resolver::dns::RrType;

namespace {

const std::string kRootRecords =
    "www.google.co.il,21.9.19.8,60\n"
    "multi.example.org,192.0.2.1,60\n"
    "multi.example.org,192.0.2.2,60\n"
    "ipv6.example.org,2001:db8::1,300\n";
const std::string kChildRecords = "printer.lab.example,172.16.20.50,3600\n";

CommandResult client(std::uint16_t port, std::vector<std::string> args) {
  std::vector<std::string> argv{binary(), "client", "127.0.0.1", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace

TEST_CASE("the child answers its own names without asking the parent", "[hierarchy]") {
  FakeParent parent([](const Bytes&) { return std::vector<Bytes>{}; });
  ResolverServer child(write_temp_file("child-local.txt", kChildRecords), parent.port());
  CHECK(text_query(child.port(), "printer.lab.example") == "printer.lab.example,172.16.20.50,3600");
  auto result = client(child.port(), {"printer.lab.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "172.16.20.50\n");
  CHECK(parent.queries() == 0);
}

TEST_CASE("a name only the root knows is forwarded by the child and answered", "[hierarchy]") {
  ResolverServer root(write_temp_file("root-fwd.txt", kRootRecords), std::nullopt);
  ResolverServer child(write_temp_file("child-fwd.txt", kChildRecords), root.port());
  auto text = text_query(child.port(), "www.google.co.il\n");
  REQUIRE(text);
  CHECK(text->starts_with("www.google.co.il,21.9.19.8,"));
  auto dns = client(child.port(), {"multi.example.org"});
  CHECK(dns.exit_code == 0);
  CHECK(sorted_lines(dns.out) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  auto both = client(child.port(), {"--text", "ipv6.example.org"});
  CHECK(both.out == "2001:db8::1\n");
}

TEST_CASE("a cached answer is served after the parent stops, with its TTL counting down",
          "[hierarchy]") {
  ResolverServer root(write_temp_file("root-cache.txt", kRootRecords), std::nullopt);
  ResolverServer child(write_temp_file("child-cache.txt", kChildRecords), root.port());
  REQUIRE(client(child.port(), {"www.google.co.il"}).out == "21.9.19.8\n");
  CHECK(root.stop() == 0);
  auto cached = client(child.port(), {"--format", "record", "www.google.co.il"});
  CHECK(cached.exit_code == 0);
  INFO(cached.out);
  CHECK(cached.out.starts_with("www.google.co.il,21.9.19.8,"));
  int ttl = std::stoi(cached.out.substr(cached.out.rfind(',') + 1));
  CHECK(ttl <= 60);
  CHECK(ttl >= 55);
}

TEST_CASE("an answer is fetched from the parent again only after its TTL expires", "[hierarchy]") {
  FakeParent parent([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("short.example", "192.0.2.7", 1)})};
  });
  ResolverServer child(write_temp_file("child-ttl.txt", kChildRecords), parent.port());
  auto start = std::chrono::steady_clock::now();
  REQUIRE(udp_exchange(child.port(), dns_query("short.example", RrType::A)));
  REQUIRE(udp_exchange(child.port(), dns_query("short.example", RrType::A)));
  CHECK(parent.queries() == 1);
  // Ask (paced) until the cache lets a query through to the parent again: that must not
  // happen before the one-second TTL is over, and must happen soon after.
  bool refetched = wait_until(
      [&] {
        REQUIRE(udp_exchange(child.port(), dns_query("short.example", RrType::A)));
        return parent.queries() >= 2;
      },
      5s, 50ms);
  if (!refetched) FAIL("the parent saw no second query within 5 s");
  auto refetched_after = std::chrono::steady_clock::now() - start;
  CHECK(parent.queries() == 2);
  CHECK(refetched_after >= 1s);
  CHECK(refetched_after < 3s);
}

TEST_CASE("a name nobody knows gets NXDOMAIN from the root through the child", "[hierarchy]") {
  ResolverServer root(write_temp_file("root-nx.txt", kRootRecords), std::nullopt);
  ResolverServer child(write_temp_file("child-nx.txt", kChildRecords), root.port());
  auto text = text_query(child.port(), "nosuch.example");
  CHECK(text == "nosuch.example,NXDOMAIN,60");
  auto result = client(child.port(), {"nosuch.example"});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "nosuch.example: NXDOMAIN\n");
  CHECK(result.err.find("nosuch.example") != std::string::npos);
  CHECK(result.err.find("NXDOMAIN") != std::string::npos);
}

TEST_CASE("a silent parent gives SERVFAIL in bounded time while local answers stay fast",
          "[hierarchy]") {
  FakeParent parent([](const Bytes&) { return std::vector<Bytes>{}; });
  ResolverServer child(write_temp_file("child-silent.txt", kChildRecords), parent.port(),
                       {"--threads", "1"});
  std::optional<std::string> forwarded;
  auto start = std::chrono::steady_clock::now();
  std::thread waiting([&] { forwarded = text_query(child.port(), "slow.example", 10s); });
  // While that query waits on the parent, the same single worker answers local names at once.
  for (int i = 0; i < 20; ++i) {
    auto local_start = std::chrono::steady_clock::now();
    CHECK(text_query(child.port(), "printer.lab.example", 1s) ==
          "printer.lab.example,172.16.20.50,3600");
    CHECK(std::chrono::steady_clock::now() - local_start < 500ms);
  }
  waiting.join();
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(forwarded == "slow.example,SERVFAIL,0");
  CHECK(elapsed < 3500ms);
  CHECK(parent.queries() >= 2);  // the first attempt and the retry (for A and AAAA each)
}

TEST_CASE("a dead parent (port closed) gives SERVFAIL promptly", "[hierarchy]") {
  std::uint16_t closed = free_udp_port();
  ResolverServer child(write_temp_file("child-dead.txt", kChildRecords), closed);
  auto start = std::chrono::steady_clock::now();
  auto result = client(child.port(), {"gone.example"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("SERVFAIL") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("a parent speaking only the text protocol can be used with --parent-protocol text",
          "[hierarchy]") {
  ResolverServer root(write_temp_file("root-text.txt", kRootRecords), std::nullopt);
  ResolverServer child(write_temp_file("child-text.txt", kChildRecords), root.port(),
                       {"--parent-protocol", "text"});
  auto result = client(child.port(), {"--type", "AAAA", "ipv6.example.org"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "2001:db8::1\n");
  CHECK(text_query(child.port(), "nosuch.example") == "nosuch.example,NXDOMAIN,60");
}

TEST_CASE("in a three-level hierarchy TTLs count down across levels and stale answers flow down",
          "[hierarchy]") {
  ResolverServer root(write_temp_file("three-root.txt", "deep.example,192.0.2.77,3\n"),
                      std::nullopt);
  ResolverServer child(write_temp_file("three-child.txt", kChildRecords), root.port());
  ResolverServer grandchild(write_temp_file("three-grandchild.txt", "gc.example,192.0.2.3,60\n"),
                            child.port());
  REQUIRE(text_query(child.port(), "deep.example") == "deep.example,192.0.2.77,3");
  // Once the child's own answer has counted down (TTL 1 is a second after it was stored), the
  // grandchild's first ask reaches the child's cache, which must pass on what is left.
  std::optional<std::string> from_child;
  bool counted_down = wait_until(
      [&] {
        from_child = text_query(child.port(), "deep.example");
        return from_child != "deep.example,192.0.2.77,3" &&
               from_child != "deep.example,192.0.2.77,2";
      },
      5s, 50ms);
  if (!counted_down)
    FAIL("the child's TTL did not count down below 2 within 5 s"
         << "; it last answered " << from_child.value_or("nothing"));
  REQUIRE((from_child == "deep.example,192.0.2.77,1" || from_child == "deep.example,192.0.2.77,0"));
  auto from_grandchild = text_query(grandchild.port(), "deep.example");
  REQUIRE(from_grandchild);
  CHECK((*from_grandchild == "deep.example,192.0.2.77,1" ||
         *from_grandchild == "deep.example,192.0.2.77,0"));
  // The root dies; once the TTL is over (the child itself answers stale, TTL 30), the child
  // serves its stale copy to the grandchild too, and the grandchild passes it on.
  CHECK(root.stop() == 0);
  bool expired = wait_until(
      [&] {
        from_child = text_query(child.port(), "deep.example", 5s);
        return from_child != "deep.example,192.0.2.77,1" &&
               from_child != "deep.example,192.0.2.77,0";
      },
      8s, 50ms);
  if (!expired)
    FAIL("the child's cached answer did not expire within 8 s"
         << "; it last answered " << from_child.value_or("nothing"));
  REQUIRE(from_child == "deep.example,192.0.2.77,30");
  auto start = std::chrono::steady_clock::now();
  CHECK(text_query(grandchild.port(), "deep.example", 5s) == "deep.example,192.0.2.77,30");
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

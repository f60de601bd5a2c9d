// Forwarding-loop detection: two resolvers configured as each other's parent.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;

namespace {

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++found;
  }
  return found;
}

}  // namespace

TEST_CASE("two resolvers that are each other's parent detect the loop and stop forwarding",
          "[loop]") {
  auto port_a = free_udp_port();
  auto port_b = free_udp_port();
  ResolverServer a(write_temp_file("loop-a.txt", "a.example,192.0.2.1,60\n"), port_b,
                   {"--log-queries"}, port_a);
  ResolverServer b(write_temp_file("loop-b.txt", "b.example,192.0.2.2,60\n"), port_a,
                   {"--log-queries"}, port_b);
  // B started after A's probe went out, but B's probe travels B -> A -> B.
  bool detected = a.process().wait_for_log("FORWARDING LOOP", 5s) ||
                  b.process().wait_for_log("FORWARDING LOOP", 5s);
  REQUIRE(detected);
  // A name neither knows gets a prompt SERVFAIL, and crosses between them only a few times.
  auto start = std::chrono::steady_clock::now();
  CHECK(text_query(a.port(), "nowhere.example", 5s) == "nowhere.example,SERVFAIL,0");
  CHECK(text_query(b.port(), "nowhere.example", 5s) == "nowhere.example,SERVFAIL,0");
  CHECK(std::chrono::steady_clock::now() - start < 6s);
  // Queries that crossed between the two servers (each logs the DNS queries it receives):
  // the attempts and retries of one A and one AAAA lookup per text query, not a storm.
  auto crossed = count(a.process().log(), "dns nowhere.example") +
                 count(b.process().log(), "dns nowhere.example");
  INFO(a.process().log() << b.process().log());
  CHECK(crossed <= 8);
  // Each still answers its own names.
  CHECK(text_query(a.port(), "a.example") == "a.example,192.0.2.1,60");
  CHECK(text_query(b.port(), "b.example") == "b.example,192.0.2.2,60");
  CHECK((contains(a.process().log(), "No longer forwarding") ||
         contains(b.process().log(), "No longer forwarding")));
}

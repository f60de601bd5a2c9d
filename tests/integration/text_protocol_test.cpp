// The course's text protocol on the same port as DNS.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

const std::string kRecords =
    "multi.example.org,192.0.2.1,60\n"
    "multi.example.org,192.0.2.2,60\n"
    "dual.example.org,192.0.2.9,30\n"
    "dual.example.org,2001:db8::9,30\n";

}  // namespace

TEST_CASE("a text query gets one name-address-ttl line per record", "[text]") {
  ResolverServer server(write_temp_file("text-multi.txt", kRecords), std::nullopt);
  auto multi = text_query(server.port(), "multi.example.org");
  REQUIRE(multi);
  CHECK(sorted_lines(*multi) == std::vector<std::string>{"multi.example.org,192.0.2.1,60",
                                                         "multi.example.org,192.0.2.2,60"});
  CHECK(text_query(server.port(), "dual.example.org\n") ==
        "dual.example.org,192.0.2.9,30\ndual.example.org,2001:db8::9,30");
}

TEST_CASE("text queries tolerate a trailing newline or CRLF and ignore letter case", "[text]") {
  ResolverServer server(write_temp_file("text-case.txt", kRecords), std::nullopt);
  for (const std::string query : {"Multi.Example.ORG", "multi.example.org\n",
                                  "multi.example.org\r\n", "multi.example.org.\n"}) {
    INFO(query);
    auto reply = text_query(server.port(), query);
    REQUIRE(reply);
    CHECK(reply->find(",192.0.2.1,60") != std::string::npos);
  }
}

TEST_CASE("input that is not a name gets FORMERR and is never echoed back", "[text]") {
  ResolverServer server(write_temp_file("text-formerr.txt", kRecords), std::nullopt);
  for (const std::string& query :
       std::vector<std::string>{"evil,payload", "with space.example", "a..b", "\n", "\xff\xfe\xfd",
                                std::string(300, 'a'), "<script>",
                                std::string(5000, 'a')}) {  // longer than a batch slot too
    INFO(query);
    CHECK(text_query(server.port(), query) == ",FORMERR,0");
  }
}

TEST_CASE("an unknown name at a root gets NXDOMAIN with the negative TTL", "[text]") {
  ResolverServer server(write_temp_file("text-nx.txt", kRecords), std::nullopt,
                        {"--negative-ttl", "42"});
  CHECK(text_query(server.port(), "nosuch.example") == "nosuch.example,NXDOMAIN,42");
}

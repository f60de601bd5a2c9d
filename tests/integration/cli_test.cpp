// The command line: check, server start-up and shutdown, client modes and exit statuses.
#include <signal.h>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;

namespace {

const std::string kBadFile =
    "good.example,192.0.2.1,60\n"
    "bad..example,192.0.2.2,60\n"
    "# a comment\n"
    "x.example,300.1.1.1,60\n"
    "y.example,192.0.2.3,forever\n";

}  // namespace

TEST_CASE("check accepts clean files and exits 0", "[cli]") {
  auto result =
      run({binary(), "check", source_dir() + "/data/ips.txt", source_dir() + "/data/parent.txt"});
  CHECK(result.exit_code == 0);
  CHECK(contains(result.out, "ips.txt: 5 records, OK"));
  CHECK(result.err.empty());
}

TEST_CASE("check reports every bad line as FILE:LINE:COL and exits 1", "[cli]") {
  auto path = write_temp_file("check-bad.txt", kBadFile);
  auto result = run({binary(), "check", path});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, path + ":2:5: empty label"));
  CHECK(contains(result.err, path + ":4:11: '300.1.1.1' is not an IPv4 or IPv6 address"));
  CHECK(contains(result.err, path + ":5:21: TTL 'forever' is not a whole number"));
  auto missing = run({binary(), "check", "/nonexistent/records.txt"});
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.err, "/nonexistent/records.txt: cannot read: No such file"));
}

TEST_CASE("the server refuses a bad record file whole, naming each bad line", "[cli]") {
  auto path = write_temp_file("server-bad.txt", kBadFile);
  auto result = run({binary(), "server", "0", "-1", "-1", path});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, path + ":2:5:"));
  CHECK(contains(result.err, path + ":4:11:"));
  CHECK(contains(result.err, path + ":5:21:"));
  CHECK(!contains(result.err, "listening on"));
  auto missing = run({binary(), "server", "0", "-1", "-1", "/nonexistent/ips.txt"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "/nonexistent/ips.txt: cannot read"));
}

TEST_CASE("the server rejects a malformed parent on the command line", "[cli]") {
  auto path = write_temp_file("server-args.txt", "a.example,192.0.2.1,60\n");
  auto result = run({binary(), "server", "0", "not-an-ip", "1200", path});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "not-an-ip"));
}

TEST_CASE("SIGTERM and SIGINT shut the server down with status 0", "[cli]") {
  auto path = write_temp_file("signals.txt", "a.example,192.0.2.1,60\n");
  for (int signal : {SIGTERM, SIGINT}) {
    ResolverServer server(path, std::nullopt);
    CHECK(server.stop(signal) == 0);
    CHECK(contains(server.process().log(), "shutting down"));
  }
}

TEST_CASE("the server logs what it serves at start and queries only with --log-queries", "[cli]") {
  auto path = write_temp_file("logging.txt", "a.example,192.0.2.1,60\nb.example,192.0.2.2,60\n");
  ResolverServer quiet(path, std::nullopt);
  CHECK(contains(quiet.process().log(), "2 records for 2 names from " + path));
  CHECK(contains(quiet.process().log(), "no parent (root)"));
  REQUIRE(text_query(quiet.port(), "a.example"));
  ResolverServer verbose(path, std::nullopt, {"--log-queries"});
  REQUIRE(text_query(verbose.port(), "a.example"));
  CHECK(verbose.process().wait_for_log("text a.example -> a.example,192.0.2.1,60"));
  quiet.stop();
  CHECK(!contains(quiet.process().log(), "a.example ->"));
}

TEST_CASE("the client reads names from a pipe and answers in input order", "[cli]") {
  auto path = write_temp_file("pipe.txt",
                              "one.example,192.0.2.1,60\ntwo.example,192.0.2.2,60\n"
                              "three.example,192.0.2.3,60\n");
  ResolverServer server(path, std::nullopt);
  auto port = std::to_string(server.port());
  auto result =
      run({binary(), "client", "127.0.0.1", port}, "three.example\none.example\n\ntwo.example\n");
  CHECK(result.exit_code == 0);
  CHECK(result.out == "192.0.2.3\n192.0.2.1\n192.0.2.2\n");
  CHECK(result.err.empty());
  auto mixed = run({binary(), "client", "127.0.0.1", port, "--format", "record"},
                   "one.example\nmissing.example\ntwo.example\n");
  CHECK(mixed.exit_code == 1);
  CHECK(mixed.out ==
        "one.example,192.0.2.1,60\nmissing.example,NXDOMAIN,60\ntwo.example,192.0.2.2,60\n");
  CHECK(contains(mixed.err, "missing.example: no such name (NXDOMAIN)"));
}

TEST_CASE("the client exits 2 with a message when the server does not answer", "[cli]") {
  FakeParent silent([](const Bytes&) { return std::vector<Bytes>{}; });
  auto start = std::chrono::steady_clock::now();
  auto result = run({binary(), "client", "127.0.0.1", std::to_string(silent.port()), "--timeout",
                     "0.2", "--retries", "1", "a.example"});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "a.example: no reply (timed out)"));
  CHECK(silent.queries() == 2);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("the client rejects an invalid name locally with FORMERR and exit 2", "[cli]") {
  auto path = write_temp_file("client-formerr.txt", "a.example,192.0.2.1,60\n");
  ResolverServer server(path, std::nullopt);
  auto result = run({binary(), "client", "127.0.0.1", std::to_string(server.port()), "bad name"});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "bad name: not a valid name (FORMERR)"));
}

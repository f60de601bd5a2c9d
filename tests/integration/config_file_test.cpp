// `--config FILE` (docs/configuration.md): the server started from a file, the command line
// over it, and the file's problems named FILE:LINE by `resolver server` and `resolver check`.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;

namespace {

const std::string kRecords = "a.example,192.0.2.1,300\n";

// The options every test server gets: loopback only, any free port, two threads.
const std::string kTestServer =
    "port = 0\n"
    "listen = \"127.0.0.1\"\n"
    "threads = 2\n";

// `resolver server ARGS...`, waited for until it serves; its port read from the log.
struct StartedServer {
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
};

StartedServer start_server(const std::vector<std::string>& args) {
  std::vector<std::string> argv{binary(), "server"};
  argv.insert(argv.end(), args.begin(), args.end());
  StartedServer started{std::make_unique<Process>(argv)};
  // The start-up summary comes after the port's line, which is then complete.
  if (!started.process->wait_for_log("records for")) {
    throw std::runtime_error("server did not start: " + started.process->log());
  }
  std::smatch match;
  std::string log = started.process->log();
  if (!std::regex_search(log, match, std::regex("listening on \\S+:([0-9]+)"))) {
    throw std::runtime_error("no port in log: " + log);
  }
  started.port = static_cast<std::uint16_t>(std::stoi(match[1]));
  return started;
}

std::string read_file(const std::string& path) {
  std::ifstream input(path);
  std::ostringstream text;
  text << input.rdbuf();
  return text.str();
}

// `text` with every `from` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_CASE("the server starts from a config file alone and answers from its records", "[config]") {
  auto records = write_temp_file("config-only.txt", kRecords);
  auto config = write_temp_file("config-only.toml", "# every setting in the file\n" + kTestServer +
                                                        "records = \"" + records + "\"\n");
  auto server = start_server({"--config", config});
  CHECK(contains(server.process->log(), "1 records for 1 names from " + records));
  CHECK(dig(server.port, {"+short", "a.example", "A"}).out == "192.0.2.1\n");
  CHECK(text_query(server.port, "a.example") == "a.example,192.0.2.1,300");
  CHECK(server.process->stop() == 0);
}

TEST_CASE("the config file gives arrays, flags and optional values to their options", "[config]") {
  auto records = write_temp_file("config-kinds.txt", kRecords);
  auto hosts = write_temp_file("config-kinds.hosts", "192.0.2.7 printer.lan\n");
  auto config =
      write_temp_file("config-kinds.toml", kTestServer + "records = \"" + records +
                                               "\"\n"
                                               "hosts = [\n"
                                               "  \"" +
                                               hosts +
                                               "\",  # a comment inside the array\n"
                                               "]\n"
                                               "forward = [\"corp.example=127.0.0.1:9\"]\n"
                                               "no-tcp = true\n"
                                               "watch = false\n"
                                               "cache-size = 50_000\n"
                                               "log-queries = \"json\"\n");
  auto server = start_server({"--config", config});
  const auto log = server.process->log();
  CHECK(contains(log, "(UDP only)"));
  CHECK(contains(log, "forwarding corp.example and the names below it to 127.0.0.1:9"));
  CHECK(contains(log, "from " + records + ", " + hosts));
  CHECK(dig(server.port, {"+short", "printer.lan", "A"}).out == "192.0.2.7\n");
}

TEST_CASE("options on the command line override the config file's", "[config]") {
  auto records = write_temp_file("config-override.txt", kRecords);
  auto other = write_temp_file("config-override-other.txt", "b.example,192.0.2.2,300\n");
  auto config = write_temp_file("config-override.toml", kTestServer + "records = \"" + records +
                                                            "\"\n"
                                                            "negative-ttl = 100\n"
                                                            "log-level = \"warn\"\n");
  SECTION("an option: the command line's negative TTL and log level win") {
    auto server = start_server({"--config", config, "--negative-ttl", "7", "--log-level", "info"});
    auto reply = dig(server.port, {"+noall", "+authority", "nope.a.example", "A"});
    CHECK(contains(replace_all(reply.out, "\t", " "), " 7 IN SOA "));
  }
  SECTION("positional arguments: the command line's record file wins") {
    auto server = start_server({"--config", config, "0", "-1", "-1", other, "--log-level", "info"});
    CHECK(contains(server.process->log(), "from " + other));
    CHECK(dig(server.port, {"+short", "b.example", "A"}).out == "192.0.2.2\n");
  }
}

TEST_CASE("the exercise's positional form works without a config file", "[config]") {
  auto records = write_temp_file("config-positional.txt", kRecords);
  auto server = start_server({"0", "-1", "-1", records, "--listen", "127.0.0.1"});
  CHECK(dig(server.port, {"+short", "a.example", "A"}).out == "192.0.2.1\n");
  auto missing = run({binary(), "server", "1199", "127.0.0.1"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "PARENT_PORT is required"));
  auto none = run({binary(), "server"});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "PORT is required"));
}

TEST_CASE("an unknown key is reported as FILE:LINE by server and check, status 2", "[config]") {
  auto records = write_temp_file("config-unknown.txt", kRecords);
  auto config = write_temp_file("config-unknown.toml", kTestServer + "records = \"" + records +
                                                           "\"\n"
                                                           "\n"
                                                           "cache-sise = 5000\n");
  for (const std::string command : {"server", "check"}) {
    INFO(command);
    auto result = run({binary(), command, "--config", config});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, config + ":6: unknown key 'cache-sise'"));
    CHECK(!contains(result.err, "listening on"));
  }
}

TEST_CASE("a bad value or a syntax error is reported as FILE:LINE", "[config]") {
  auto records = write_temp_file("config-bad.txt", kRecords);
  auto head = kTestServer + "records = \"" + records + "\"\n";  // lines 1 to 4
  struct Case {
    std::string line;     // line 5 of the file
    std::string message;  // after FILE:5:
  };
  auto bad = GENERATE(values<Case>({
      {"cache-size = \"lots\"", " --cache-size: Value lots not in range"},
      {"tcp-idle-timeout = 0", " --tcp-idle-timeout: Value 0 not in range 1 to 3600"},
      {"log-queries = \"yaml\"", " --log-queries: yaml not in {text,json}"},
      {"no-tcp = \"yes\"", " no-tcp: expected true or false"},
      {"user = [\"a\", \"b\"]", " user: takes one value, not an array"},
      {"log-level = info", " log-level = info: text needs quotes"},
      {"hosts = [\"/etc/hosts\"", " hosts: the array has no closing ']'"},
      {"records = \"again.txt\"", " records is given again (first on line 4)"},
      {"[server]", " tables ([section]) are not used"},
      {"http = \"localhost\"", " --http localhost:"},  // refused by settle(), after CLI11
      {"forward = [\"corp.example\"]", " --forward corp.example: expected DOMAIN=ADDRESS"},
  }));
  INFO(bad.line);
  auto config = write_temp_file("config-bad.toml", head + bad.line + "\n");
  auto checked = run({binary(), "check", "--config", config});
  CHECK(checked.exit_code == 2);
  CHECK(contains(checked.err, config + ":5:" + bad.message));
  auto served = run({binary(), "server", "--config", config});
  CHECK(served.exit_code == 2);
  CHECK(contains(served.err, config + ":5:" + bad.message));
  CHECK(!contains(served.err, "listening on"));
}

TEST_CASE("a missing config file, or one without port or records, is named", "[config]") {
  auto missing = run({binary(), "server", "--config", "/nonexistent/resolver.toml"});
  CHECK(missing.exit_code == 2);
  CHECK(
      contains(missing.err, "/nonexistent/resolver.toml: cannot read: No such file or directory"));
  auto checked = run({binary(), "check", "--config", "/nonexistent/resolver.toml"});
  CHECK(checked.exit_code == 2);
  CHECK(contains(checked.err, "/nonexistent/resolver.toml: cannot read"));

  auto no_port = write_temp_file("config-no-port.toml", "records = \"x.txt\"\n");
  auto result = run({binary(), "server", "--config", no_port});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, no_port + ": no port: give port = ... in the file, or PORT"));
  auto half_parent = write_temp_file("config-half-parent.toml",
                                     "port = 0\nrecords = \"x.txt\"\nparent-port = 53\n");
  auto half = run({binary(), "server", "--config", half_parent});
  CHECK(half.exit_code == 2);
  CHECK(contains(half.err, half_parent + ": parent-ip and parent-port go together"));
}

TEST_CASE("check --config checks the record file the config names, as FILE:LINE:COL", "[config]") {
  auto bad_records = write_temp_file("config-check-bad.txt",
                                     "good.example,192.0.2.1,60\n"
                                     "x.example,300.1.1.1,60\n");
  auto config =
      write_temp_file("config-check.toml", "port = 53\nrecords = \"" + bad_records + "\"\n");
  auto result = run({binary(), "check", "--config", config});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.out, config + ": OK"));
  CHECK(contains(result.err, bad_records + ":2:11: '300.1.1.1' is not an IPv4 or IPv6 address"));
  // RECORDS on check's command line replace the config's, as on the server's.
  auto good_records = write_temp_file("config-check-good.txt", kRecords);
  auto replaced = run({binary(), "check", "--config", config, good_records});
  CHECK(replaced.exit_code == 0);
  CHECK(contains(replaced.out, good_records + ": 1 records, OK"));
}

TEST_CASE("dist/resolver.toml passes resolver check --config", "[config]") {
  auto records = write_temp_file("dist-records.txt", read_file(source_dir() + "/dist/records.txt"));
  auto text = read_file(source_dir() + "/dist/resolver.toml");
  REQUIRE(contains(text, "records = \"/etc/resolver/records.txt\"\n"));
  auto config = write_temp_file(
      "resolver.toml", replace_all(text, "\"/etc/resolver/records.txt\"", '"' + records + '"'));
  auto result = run({binary(), "check", "--config", config});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.out, config + ": OK"));
  CHECK(contains(result.out, records + ": "));
  CHECK(result.err.empty());
}

TEST_CASE("dist/resolver.toml shows every option of resolver server as a key", "[config]") {
  auto help = run({binary(), "server", "--help"});
  REQUIRE(help.exit_code == 0);
  auto text = read_file(source_dir() + "/dist/resolver.toml");
  std::set<std::string> keys;
  std::regex option("\n  --([a-z][a-z0-9-]*)");
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), option), end; it != end; ++it) {
    keys.insert((*it)[1]);
  }
  keys.erase("config");  // the file itself
  for (const auto* positional : {"port", "records", "parent-ip", "parent-port"}) {
    keys.insert(positional);
  }
  REQUIRE(keys.size() > 20);
  for (const auto& key : keys) {
    INFO(key);
    // Set, or shown commented out with its default or an example.
    CHECK(std::regex_search(text, std::regex("(^|\n)(# )?" + key + " = ")));
  }
}

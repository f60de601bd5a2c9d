// `resolver client` as a scripting tool: batches, output formats, exit statuses, servers given
// by name or IPv6 address, the progress line, interactive mode, --help and bash completion.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <deque>
#include <regex>
#include <thread>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;
using test_support::lines_of;

namespace {

std::string quoted(const std::string& word) {
  return "'" + word + "'";
}

const std::string kRecords =
    "one.example,192.0.2.1,60\n"
    "two.example,192.0.2.2,60\n"
    "multi.example,192.0.2.10,60\n"
    "multi.example,192.0.2.11,60\n"
    "v6.example,2001:db8::6,60\n";

struct LocalServer {
  LocalServer() : server(write_temp_file("client-records.txt", kRecords), std::nullopt) {}
  std::vector<std::string> client(std::vector<std::string> args) const {
    std::vector<std::string> argv{binary(), "client", "127.0.0.1", std::to_string(server.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ResolverServer server;
};

// A DNS server on one port of both 127.0.0.1 and ::1 (a dual-stack socket on ::), so
// "localhost" reaches it whichever address comes first. It answers every query with 192.0.2.99
// after `delay`, as a server across a network would: replies wait in a queue ordered by when
// they are due, and the loop sleeps in poll() only until the next one is.
class DelayedResponder {
 public:
  explicit DelayedResponder(std::chrono::milliseconds delay = 0ms) : delay_(delay) {
    fd_ = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int v6_only = 0;
    setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_any;
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin6_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~DelayedResponder() {
    stopping_ = true;
    thread_.join();
    close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  struct Due {
    std::chrono::steady_clock::time_point when;
    Bytes reply;
    sockaddr_in6 peer;
  };

  void serve() {
    std::deque<Due> due;  // a fixed delay keeps it in time order
    Bytes buffer(65536);
    while (!stopping_) {
      auto now = std::chrono::steady_clock::now();
      while (!due.empty() && due.front().when <= now) {
        auto& next = due.front();
        sendto(fd_, next.reply.data(), next.reply.size(), 0,
               reinterpret_cast<sockaddr*>(&next.peer), sizeof next.peer);
        due.pop_front();
      }
      int wait = 20;
      if (!due.empty()) {
        auto until = std::chrono::ceil<std::chrono::milliseconds>(due.front().when - now);
        wait = static_cast<int>(std::min<std::int64_t>(until.count(), 20));
      }
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, wait) != 1) continue;
      sockaddr_in6 peer{};
      socklen_t peer_length = sizeof peer;
      ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                           &peer_length);
      if (n <= 0) continue;
      Bytes query(buffer.begin(), buffer.begin() + n);
      auto name = resolver::dns::parse_query(query).query.question.name.to_text();
      due.push_back({std::chrono::steady_clock::now() + delay_,
                     dns_reply(query, {a_record(name, "192.0.2.99", 30)}), peer});
      most_waiting_ = std::max(most_waiting_.load(), due.size());
    }
  }

 public:
  // The most queries that were waiting for their answer at once since the last reset.
  std::size_t most_waiting() const { return most_waiting_.load(); }
  void reset() { most_waiting_ = 0; }

 private:
  std::atomic<std::size_t> most_waiting_{0};

  std::chrono::milliseconds delay_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a 20,000-name batch answers every name, in input order, in seconds", "[client]") {
  // 20,000 local names; every 100th name asked for does not exist.
  std::string records;
  for (int i = 0; i < 20000; ++i) {
    records +=
        fmt::format("host{}.bulk.example,10.{}.{}.{},300\n", i, i / 65536, i / 256 % 256, i % 256);
  }
  ResolverServer server(write_temp_file("bulk.txt", records), std::nullopt);
  std::string names;
  std::vector<std::string> expected;
  for (int i = 0; i < 20000; ++i) {
    int host = (i * 7919) % 20000;  // a permutation: answers do not come in file order
    if (i % 100 == 99) {
      names += fmt::format("missing{}.bulk.example\n", i);
      expected.push_back(fmt::format("missing{}.bulk.example,NXDOMAIN,60", i));
    } else {
      names += fmt::format("host{}.bulk.example\n", host);
      expected.push_back(fmt::format("host{}.bulk.example,10.{}.{}.{},300", host, host / 65536,
                                     host / 256 % 256, host % 256));
    }
  }
  auto port = std::to_string(server.port());
  auto start = std::chrono::steady_clock::now();
  auto batch = run({binary(), "client", "127.0.0.1", port, "--format", "record"}, names, 60s);
  auto batch_time = std::chrono::steady_clock::now() - start;
  CHECK(batch.exit_code == 1);  // some names do not exist
  auto lines = lines_of(batch.out);
  REQUIRE(lines.size() == expected.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO("line " << i + 1);
    REQUIRE(lines[i] == expected[i]);
  }
  CHECK(lines_of(batch.err).size() == 200);  // one message per missing name
  INFO("20,000 names took " << std::chrono::duration<double>(batch_time).count() << " s");
  CHECK(batch_time < 10s);
}

TEST_CASE("with network latency, the window keeps that many queries waiting at once, never more",
          "[client]") {
  // Each answer is held 50 ms, far longer than sending a window's queries takes: what is
  // waiting at the server at once is what the client has in flight.
  DelayedResponder server(50ms);
  auto port = std::to_string(server.port());
  auto ask = [&](int count, const std::string& concurrency) {
    std::string names;
    for (int i = 0; i < count; ++i) names += fmt::format("n{}.example\n", i);
    server.reset();
    auto result = run({binary(), "client", "127.0.0.1", port, "-c", concurrency}, names);
    CHECK(result.exit_code == 0);
    CHECK(lines_of(result.out).size() == static_cast<std::size_t>(count));
    return server.most_waiting();
  };
  CHECK(ask(10, "1") == 1);
  auto windowed = ask(300, "100");
  CHECK(windowed <= 100);
  CHECK(windowed >= 50);  // the window fills: the client does not wait for answers to send
}

TEST_CASE("ip format gives a failed name a 'NAME: WHY' line in its place", "[client]") {
  LocalServer local;
  auto result = run(local.client({}), "one.example\nmissing.example\nmulti.example\nbad..name\n");
  CHECK(result.exit_code == 2);  // the invalid name is an error
  CHECK(result.out ==
        "192.0.2.1\nmissing.example: NXDOMAIN\n192.0.2.10\n192.0.2.11\nbad..name: FORMERR\n");
  CHECK(contains(result.err, "resolver: missing.example: no such name (NXDOMAIN)\n"));
  CHECK(contains(result.err, "resolver: bad..name: not a valid name (FORMERR)"));
  auto one_shot = run(local.client({"missing.example"}));
  CHECK(one_shot.exit_code == 1);
  CHECK(one_shot.out == "missing.example: NXDOMAIN\n");
  CHECK(one_shot.err == "resolver: missing.example: no such name (NXDOMAIN)\n");
  auto nodata = run(local.client({"v6.example"}));
  CHECK(nodata.exit_code == 1);
  CHECK(nodata.out == "v6.example: NODATA\n");
}

TEST_CASE("json format writes one object per name with the documented keys", "[client]") {
  LocalServer local;
  auto result = run(local.client({"--format", "json", "multi.example", "missing.example"}));
  CHECK(result.exit_code == 1);
  auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 2);
  std::string server = fmt::format("127.0.0.1:{}", local.server.port());
  std::regex answered(R"(\{"name":"multi\.example","type":"A","rcode":"NOERROR",)"
                      R"("addresses":\["192\.0\.2\.10","192\.0\.2\.11"\],"ttl":60,"server":")" +
                      server + R"(","milliseconds":[0-9]+\.[0-9]{3}\})");
  CHECK(std::regex_match(lines[0], answered));
  std::regex missing(
      R"(\{"name":"missing\.example","type":"A","rcode":"NXDOMAIN","addresses":)"
      R"(\[\],"ttl":60,"server":")" +
      server + R"x(","milliseconds":[0-9]+\.[0-9]{3},"error":"no such name \(NXDOMAIN\)"\})x");
  CHECK(std::regex_match(lines[1], missing));
  if (have_program("jq")) {
    auto parsed = run({"jq", "-r", ".addresses[]"}, result.out);
    CHECK(parsed.exit_code == 0);
    CHECK(parsed.out == "192.0.2.10\n192.0.2.11\n");
  }
}

TEST_CASE("the exit status is 0 when all are answered, 1 for missing names, 2 for errors",
          "[client]") {
  LocalServer local;
  CHECK(run(local.client({"one.example", "two.example"})).exit_code == 0);
  CHECK(run(local.client({"one.example", "missing.example"})).exit_code == 1);
  CHECK(run(local.client({"one.example", "bad..name", "missing.example"})).exit_code == 2);
  FakeParent failing([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {}, resolver::dns::Rcode::ServFail)};
  });
  auto servfail =
      run({binary(), "client", "127.0.0.1", std::to_string(failing.port()), "x.example"});
  CHECK(servfail.exit_code == 2);
  CHECK(servfail.out == "x.example: SERVFAIL\n");
  CHECK(run(local.client({"--format", "yaml", "one.example"})).exit_code == 2);  // usage
}

TEST_CASE("the -f option reads names from a file and a missing file or -f with NAMEs is an error",
          "[client]") {
  LocalServer local;
  auto path = write_temp_file("names.txt", "# lab names\none.example\n\n  two.example  \r\n");
  auto result = run(local.client({"-f", path, "--format", "record"}));
  CHECK(result.exit_code == 0);
  CHECK(result.out == "one.example,192.0.2.1,60\ntwo.example,192.0.2.2,60\n");
  auto missing = run(local.client({"-f", "/nonexistent/names.txt"}));
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "/nonexistent/names.txt: cannot read: No such file"));
  CHECK(run(local.client({"-f", path, "one.example"})).exit_code == 2);
}

TEST_CASE("text-protocol batches match replies by name and keep input order", "[client]") {
  LocalServer local;
  auto result = run(local.client({"--text", "--format", "record", "-c", "4"}),
                    "multi.example\nmissing.example\nv6.example\none.example\n");
  CHECK(result.exit_code == 1);
  CHECK(result.out ==
        "multi.example,192.0.2.10,60\nmulti.example,192.0.2.11,60\nmissing.example,NXDOMAIN,60\n"
        "v6.example,2001:db8::6,60\none.example,192.0.2.1,60\n");
}

TEST_CASE("the --timeout and --retries options bound how long and how often a name is tried",
          "[client]") {
  FakeParent silent([](const Bytes&) { return std::vector<Bytes>{}; });
  auto start = std::chrono::steady_clock::now();
  auto result = run({binary(), "client", "127.0.0.1", std::to_string(silent.port()), "--timeout",
                     "0.1", "--retries", "3", "--format", "record", "a.example"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(result.exit_code == 2);
  CHECK(result.out == "a.example,TIMEOUT,0\n");
  CHECK(silent.queries() == 4);
  CHECK(elapsed >= 400ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("the --rate option spaces the queries out", "[client]") {
  LocalServer local;
  std::string names;
  for (int i = 0; i < 21; ++i) names += "one.example\n";
  auto start = std::chrono::steady_clock::now();
  auto result = run(local.client({"--rate", "100"}), names);
  CHECK(result.exit_code == 0);
  CHECK(lines_of(result.out).size() == 21);
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);  // 20 gaps of 10 ms
}

TEST_CASE("SERVER may be a host name or an IPv6 address", "[client]") {
  DelayedResponder v6;
  auto by_name = run({binary(), "client", "localhost", std::to_string(v6.port()), "a.example"});
  CHECK(by_name.exit_code == 0);
  CHECK(by_name.out == "192.0.2.99\n");
  auto result = run({binary(), "client", "::1", std::to_string(v6.port()), "v6.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "192.0.2.99\n");
  auto bracketed = run(
      {binary(), "client", "[::1]", std::to_string(v6.port()), "--format", "json", "a.example"});
  CHECK(contains(bracketed.out, fmt::format(R"("server":"[::1]:{}")", v6.port())));
  auto unknown = run({binary(), "client", "no-such-host.invalid", "53", "a.example"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "no-such-host.invalid: cannot resolve the server"));
}

TEST_CASE("a closed server port fails at once with exit status 2", "[client]") {
  auto port = std::to_string(free_udp_port());
  auto start = std::chrono::steady_clock::now();
  auto result = run({binary(), "client", "127.0.0.1", port, "--timeout", "5", "a.example"});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "a.example: error: Connection refused"));
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("a script that waits for each answer before the next name gets it", "[client]") {
  LocalServer local;
  std::string client;
  for (const auto& arg : local.client({})) client += quoted(arg) + " ";
  // bash's coprocess: write one name, read its answer (read -t bounds the wait), and so on.
  auto result = run({"bash", "-c",
                     "coproc R { " + client +
                         "; }\n"
                         "for name in one.example two.example; do\n"
                         "  echo $name >&${R[1]}\n"
                         "  read -t 5 line <&${R[0]} || { echo stuck; exit 1; }\n"
                         "  echo \"$name=$line\"\n"
                         "done\n"});
  CHECK(result.out == "one.example=192.0.2.1\ntwo.example=192.0.2.2\n");
}

TEST_CASE("no progress line when stderr is not a terminal", "[client]") {
  LocalServer local;
  std::string names;
  for (int i = 0; i < 130; ++i) names += "one.example\n";
  // --rate 100 makes the batch last 1.3 s, longer than the progress line's delay.
  auto result = run(local.client({"--rate", "100"}), names);
  CHECK(result.exit_code == 0);
  CHECK(lines_of(result.out).size() == 130);
  CHECK(result.err.empty());
}

TEST_CASE("a progress line on a terminal's stderr shows done, failures, rate and time left",
          "[client]") {
  REQUIRE(have_program("script"));  // bsdutils, Essential in Debian: always installed
  LocalServer local;
  std::string names;
  for (int i = 0; i < 130; ++i) names += i < 5 ? "missing.example\n" : "one.example\n";
  auto names_file = write_temp_file("progress-names.txt", names);
  auto out_file = temp_dir() + "/progress-out.txt";
  std::string command;
  for (const auto& arg : local.client({"-f", names_file, "--rate", "100"})) {
    command += quoted(arg) + " ";
  }
  // script(1) gives the client a terminal for stderr; stdout goes to a file. --rate 100 makes
  // the batch last 1.3 s, longer than the progress line's delay.
  auto result = run({"script", "-qec", command + "> " + quoted(out_file), "/dev/null"});
  CHECK(result.exit_code == 1);
  std::regex progress(R"(\r([0-9]+)/130 done \([0-9]+%\), [0-9]+/s, ([0-9]+) not found, )"
                      R"(([0-9]+) errors, [0-9]+:[0-9]{2} left)");
  int drawn = 0;
  for (std::sregex_iterator it(result.out.begin(), result.out.end(), progress), end; it != end;
       ++it, ++drawn) {
    CHECK((*it)[2] == "5");  // the five missing names came first
    CHECK((*it)[3] == "0");
  }
  CHECK(drawn > 0);
  CHECK(result.out.ends_with("\r\x1b[K"));  // erased at the end
  auto written = run({"cat", out_file});
  CHECK(lines_of(written.out).size() == 130);
}

TEST_CASE("interactive mode: a prompt, answers, :type to switch, :quit to leave", "[client]") {
  REQUIRE(have_program("script"));  // bsdutils, Essential in Debian: always installed
  LocalServer local;
  std::string command;
  for (const auto& arg : local.client({})) command += quoted(arg) + " ";
  // --echo never: the terminal does not echo the input, so the output is what the client wrote.
  auto result = run({"script", "-qe", "--echo", "never", "-c", command, "/dev/null"},
                    "one.example\n:type AAAA\nv6.example\nmissing.example\n:type A\n"
                    "two.example\n:quit\nthree.example\n");
  CHECK(result.exit_code == 1);  // missing.example
  auto out = std::regex_replace(result.out, std::regex("\r"), "");
  CHECK(contains(out, "> 192.0.2.1\n"));
  CHECK(contains(out, "> type AAAA\n"));
  CHECK(contains(out, "AAAA> 2001:db8::6\n"));
  CHECK(contains(out, "AAAA> resolver: missing.example: no such name (NXDOMAIN)\n"));
  CHECK(!contains(out, "missing.example: NXDOMAIN"));  // said once, on stderr
  CHECK(contains(out, "> 192.0.2.2\n"));
  CHECK(!contains(out, "three.example"));  // :quit left before it
}

TEST_CASE("client --help reads like a man page", "[client]") {
  auto result = run({binary(), "client", "--help"});
  CHECK(result.exit_code == 0);
  for (const char* section : {"NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "ARGUMENTS\n", "OPTIONS\n",
                              "OUTPUT\n", "EXIT STATUS\n", "EXAMPLES\n"}) {
    CHECK(contains(result.out, section));
  }
  for (const char* option : {"--format ip|record|json", "-c,--concurrency N", "--rate QPS",
                             "--timeout SECONDS", "--retries N", "-f,--file FILE", "--tcp"}) {
    CHECK(contains(result.out, option));
  }
  for (const auto& line : lines_of(result.out)) CHECK(line.size() <= 100);
}

TEST_CASE("bash completion offers subcommands, options and option values", "[client]") {
  auto script = source_dir() + "/completions/resolver.bash";
  auto complete = [&](const std::string& words, int current) {
    return run({"bash", "-c",
                "source " + quoted(script) + "; COMP_WORDS=(" + quoted(binary()) + " " + words +
                    "); COMP_CWORD=" + std::to_string(current) +
                    "; _resolver; printf '%s\\n' \"${COMPREPLY[@]}\""})
        .out;
  };
  CHECK(complete("cl", 1) == "client\n");
  CHECK(complete("client --form", 2) == "--format\n");
  CHECK(complete("client --format ''", 3) == "ip\nrecord\njson\n");
  CHECK(complete("client --type ''", 3) == "A\nAAAA\n");
  auto options = complete("client --", 2);
  for (const char* option :
       {"--concurrency\n", "--rate\n", "--retries\n", "--timeout\n", "--tcp\n"}) {
    CHECK(contains(options, option));
  }
}

// Split DNS (`--forward DOMAIN=ADDR[:PORT]`) with the real binary and scripted parents: which
// parent sees which name, failover inside a domain, a root with forwards, RFC 6303 private
// reverse zones, and local CNAMEs whose targets are forwarded (docs/resolution.md).
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <mutex>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "support/records.hpp"
#include "support/strings.hpp"

using namespace harness;
using resolver::dns::RrType;
using test_support::contains;
using Lines = std::vector<std::string>;

namespace {

std::string at(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

// A parent that answers every A question with `address` (TTL 300), PTR questions with
// `ptr_target`, and any other type with NODATA; it remembers the names it was asked.
class NamedParent {
 public:
  explicit NamedParent(std::string address, std::string ptr_target = "router.lan")
      : parent_([this, address = std::move(address),
                 ptr_target = std::move(ptr_target)](const Bytes& query) {
          auto question = resolver::dns::parse_query(query).query.question;
          {
            std::lock_guard lock(mutex_);
            // Lower-cased: the server randomises the letter case it sends (0x20).
            auto name = question.name.to_text();
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            names_.push_back(name);
          }
          std::vector<resolver::dns::ResourceRecord> answers;
          if (question.type == RrType::A) {
            auto record = a_record("placeholder.example", address, 300);
            record.name = question.name;
            answers.push_back(record);
          } else if (question.type == RrType::PTR) {
            auto record = test_support::cname_record("placeholder.example", ptr_target, 300);
            record.type = RrType::PTR;
            record.name = question.name;
            answers.push_back(record);
          }
          return std::vector<Bytes>{dns_reply(query, answers)};
        }) {}

  std::uint16_t port() const { return parent_.port(); }
  int queries() const { return parent_.queries(); }
  Lines names() const {
    std::lock_guard lock(mutex_);
    return names_;
  }

 private:
  mutable std::mutex mutex_;
  Lines names_;
  FakeParent parent_;  // last: its thread calls the lambda, which uses the members above
};

std::string short_answer(std::uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> all{"+short"};
  all.insert(all.end(), args.begin(), args.end());
  return dig(port, all).out;
}

// dig's answer section, one record a line with single spaces (dig pads with tabs), lower-cased,
// sorted.
Lines answer_section(std::uint16_t port, std::vector<std::string> args) {
  args.insert(args.begin(), {"+noall", "+answer"});
  std::string single;
  for (char c : dig(port, args).out) {
    if (c == '\t') c = ' ';
    // The parent's records keep the randomised letter case the server sent them (0x20).
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == ' ' && !single.empty() && single.back() == ' ') continue;
    single.push_back(c);
  }
  return sorted_lines(single);
}

const std::string kRecords = "host.lab.example,192.0.2.5,300\n";

}  // namespace

TEST_CASE("names at or below a forward domain go to its parent, every other name to the default",
          "[split-dns]") {
  NamedParent a("192.0.2.1");
  NamedParent b("10.0.0.2");
  ResolverServer server(write_temp_file("split.txt", kRecords), a.port(),
                        {"--forward", "corp.example=" + at(b.port())});
  CHECK(short_answer(server.port(), {"www.corp.example"}) == "10.0.0.2\n");
  CHECK(short_answer(server.port(), {"CORP.example"}) == "10.0.0.2\n");
  CHECK(short_answer(server.port(), {"www.example.org"}) == "192.0.2.1\n");
  CHECK(short_answer(server.port(), {"notcorp.example"}) == "192.0.2.1\n");
  CHECK(b.names() == Lines{"www.corp.example", "corp.example"});
  CHECK(a.names() == Lines{"www.example.org", "notcorp.example"});
  CHECK(contains(server.process().log(),
                 "forwarding corp.example and the names below it to " + at(b.port())));
}

TEST_CASE("the longest forward domain a name is below wins", "[split-dns]") {
  NamedParent a("192.0.2.1");
  NamedParent b("10.0.0.2");
  NamedParent c("10.0.0.3");
  // The shorter domain given last: the order on the command line does not matter.
  ResolverServer server(
      write_temp_file("split-longest.txt", kRecords), a.port(),
      {"--forward", "b.corp.example=" + at(c.port()), "--forward", "corp.example=" + at(b.port())});
  CHECK(short_answer(server.port(), {"a.b.corp.example"}) == "10.0.0.3\n");
  CHECK(short_answer(server.port(), {"b.corp.example"}) == "10.0.0.3\n");
  CHECK(short_answer(server.port(), {"x.corp.example"}) == "10.0.0.2\n");
  CHECK(c.names() == Lines{"a.b.corp.example", "b.corp.example"});
  CHECK(b.names() == Lines{"x.corp.example"});
  CHECK(a.queries() == 0);
}

TEST_CASE("a domain given twice has two parents, and a dead first one fails over to the second",
          "[split-dns]") {
  NamedParent a("192.0.2.1");
  NamedParent b("10.0.0.2");
  auto dead = free_udp_port();  // closed: the kernel refuses at once
  ResolverServer server(write_temp_file("split-failover.txt", kRecords), a.port(),
                        {"--forward", "corp.example=" + at(dead), "--forward",
                         "corp.example=" + at(b.port()), "--threads", "1"});
  for (auto name : {"one.corp.example", "two.corp.example", "three.corp.example"}) {
    auto start = std::chrono::steady_clock::now();
    CHECK(short_answer(server.port(), {name}) == "10.0.0.2\n");
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }
  CHECK(b.queries() == 3);
  CHECK(a.queries() == 0);
  CHECK(contains(server.process().log(), "to " + at(dead) + ", " + at(b.port())));
}

TEST_CASE("a root with a forward answers its domain through it and NXDOMAIN for other names",
          "[split-dns]") {
  NamedParent b("10.0.0.2");
  ResolverServer root(write_temp_file("split-root.txt", kRecords), std::nullopt,
                      {"--forward", "corp.example=" + at(b.port())});
  CHECK(answer_section(root.port(), {"www.corp.example"}) ==
        Lines{"www.corp.example. 300 in a 10.0.0.2"});
  auto forwarded = dig(root.port(), {"www.corp.example"});  // from the cache now
  CHECK(contains(forwarded.out, "status: NOERROR"));
  CHECK(contains(forwarded.out, "flags: qr rd ra;"));  // it recurses, for some names
  auto elsewhere = dig(root.port(), {"www.example.org"});
  CHECK(contains(elsewhere.out, "status: NXDOMAIN"));
  CHECK(contains(elsewhere.out, "flags: qr aa rd ra;"));
  CHECK(short_answer(root.port(), {"host.lab.example"}) == "192.0.2.5\n");
  CHECK(b.names() == Lines{"www.corp.example"});
  CHECK(contains(root.process().log(), "no parent (root)"));
}

TEST_CASE("a private reverse name never reaches the default parent, but a forward takes it",
          "[split-dns]") {
  NamedParent a("192.0.2.1");
  NamedParent b("10.0.0.2", "router.lan");
  SECTION("without a forward: NXDOMAIN from the server itself") {
    ResolverServer server(write_temp_file("split-private.txt", kRecords), a.port());
    auto reply = dig(server.port(), {"5.1.168.192.in-addr.arpa", "PTR"});
    CHECK(contains(reply.out, "status: NXDOMAIN"));
    CHECK(contains(reply.out, "flags: qr aa rd ra;"));
    CHECK(contains(dig(server.port(), {"-x", "10.1.2.3"}).out, "status: NXDOMAIN"));
    CHECK(a.queries() == 0);
  }
  SECTION("with --forward 168.192.in-addr.arpa: the forward's parent answers") {
    ResolverServer server(write_temp_file("split-private-fwd.txt", kRecords), a.port(),
                          {"--forward", "168.192.in-addr.arpa=" + at(b.port())});
    CHECK(short_answer(server.port(), {"-x", "192.168.1.5"}) == "router.lan.\n");
    CHECK(b.names() == Lines{"5.1.168.192.in-addr.arpa"});
    // Other private zones stay closed.
    CHECK(contains(dig(server.port(), {"-x", "10.1.2.3"}).out, "status: NXDOMAIN"));
    CHECK(a.queries() == 0);
  }
}

TEST_CASE("a local CNAME to a name that is not local is followed through that name's parent",
          "[split-dns]") {
  NamedParent a("192.0.2.1");
  NamedParent b("10.0.0.2");
  ResolverServer server(write_temp_file("split-cname.txt",
                                        "alias.lab.example,CNAME,www.corp.example,120\n"
                                        "ext.lab.example,CNAME,www.example.org,120\n"),
                        a.port(), {"--forward", "corp.example=" + at(b.port())});
  CHECK(answer_section(server.port(), {"alias.lab.example"}) ==
        Lines{"alias.lab.example. 120 in cname www.corp.example.",
              "www.corp.example. 300 in a 10.0.0.2"});
  CHECK(answer_section(server.port(), {"ext.lab.example"}) ==
        Lines{"ext.lab.example. 120 in cname www.example.org.",
              "www.example.org. 300 in a 192.0.2.1"});
  auto again = dig(server.port(), {"alias.lab.example"});
  CHECK(contains(again.out, "status: NOERROR"));
  CHECK(contains(again.out, "flags: qr rd ra;"));  // the chain's end is not ours
  // Asked once each: the last dig of alias.lab.example found the target cached.
  CHECK(b.names() == Lines{"www.corp.example"});
  CHECK(a.names() == Lines{"www.example.org"});
}

TEST_CASE("a text query for a CNAME'd name gets the final addresses under the name asked",
          "[split-dns]") {
  NamedParent b("10.0.0.2");
  ResolverServer server(
      write_temp_file("split-cname-text.txt", "alias.lab.example,CNAME,www.corp.example,120\n"),
      std::nullopt, {"--forward", "corp.example=" + at(b.port())});
  CHECK(text_query(server.port(), "alias.lab.example") == "alias.lab.example,10.0.0.2,300");
  CHECK(text_query(server.port(), "nothing.lab.example") == "nothing.lab.example,NXDOMAIN,60");
}

TEST_CASE(
    "the forward option takes ADDRESS, ADDRESS:PORT, [IPV6]:PORT and bare IPv6, port 53 by default",
    "[split-dns]") {
  auto records = write_temp_file("split-forms.txt", kRecords);
  ResolverServer server(records, std::nullopt,
                        {"--forward", "a.example=192.0.2.53", "--forward", "b.example=::1",
                         "--forward", "c.example=[2001:db8::1]", "--forward",
                         "d.example=[2001:db8::2]:5353", "--forward", "e.example.=192.0.2.9:5300"});
  auto log = server.process().log();
  CHECK(contains(log, "forwarding a.example and the names below it to 192.0.2.53:53"));
  CHECK(contains(log, "forwarding b.example and the names below it to [::1]:53"));
  CHECK(contains(log, "forwarding c.example and the names below it to [2001:db8::1]:53"));
  CHECK(contains(log, "forwarding d.example and the names below it to [2001:db8::2]:5353"));
  CHECK(contains(log, "forwarding e.example and the names below it to 192.0.2.9:5300"));
}

TEST_CASE("a bad --forward value stops the server with a message naming it", "[split-dns]") {
  auto records = write_temp_file("split-bad.txt", kRecords);
  struct Case {
    std::string value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"corp.example", "expected DOMAIN=ADDRESS[:PORT]"},
      {"corp..example=127.0.0.1", "empty label"},
      {"=127.0.0.1", "empty name"},
      {".=127.0.0.1", "use --parent"},
      {"corp.example=", "no address"},
      {"corp.example=127.0.0.1:99999", "port '99999'"},
      {"corp.example=[::1", "no ']'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.value);
    auto result = run({binary(), "server", "0", "-1", "-1", records, "--forward", c.value});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "--forward " + c.value + ": "));
    CHECK(contains(result.err, c.message));
  }
}

TEST_CASE(
    "without automatic PTR (--no-auto-ptr), the server leaves the reverse names of local addresses "
    "to the next steps",
    "[split-dns]") {
  auto records = write_temp_file("split-ptr.txt", kRecords);
  ResolverServer with(records, std::nullopt);
  CHECK(short_answer(with.port(), {"-x", "192.0.2.5"}) == "host.lab.example.\n");
  ResolverServer without(records, std::nullopt, {"--no-auto-ptr"});
  // 2.0.192.in-addr.arpa is a private (documentation) reverse zone: NXDOMAIN.
  CHECK(contains(dig(without.port(), {"-x", "192.0.2.5"}).out, "status: NXDOMAIN"));
}

TEST_CASE("with --watch a changed --hosts file is reloaded, with --hosts-ttl as its TTL",
          "[split-dns]") {
  auto records = write_temp_file("split-watch.txt", kRecords);
  auto hosts = write_temp_file("split-watch.hosts", "192.0.2.20 printer.lan\n");
  ResolverServer server(records, std::nullopt, {"--hosts", hosts, "--hosts-ttl", "42", "--watch"});
  CHECK(contains(server.process().log(), "from " + records + ", " + hosts));
  CHECK(answer_section(server.port(), {"printer.lan"}) == Lines{"printer.lan. 42 in a 192.0.2.20"});
  {
    std::ofstream(hosts + ".new") << "192.0.2.21 printer.lan scanner.lan\n";
    std::rename((hosts + ".new").c_str(), hosts.c_str());
  }
  REQUIRE(server.process().wait_for_log(hosts + " changed, reloading", 5s));
  REQUIRE(server.process().wait_for_log("reloaded " + records + ", " + hosts, 5s));
  CHECK(short_answer(server.port(), {"scanner.lan"}) == "192.0.2.21\n");
}

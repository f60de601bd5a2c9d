// Local data beyond addresses, checked with dig: every record type of the record file, CNAME
// chains, wildcards, automatic PTR and hosts files (docs/manual.md, "The record file").
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;
using Lines = std::vector<std::string>;

namespace {

const std::string kLab =
    "host.lab.example,192.0.2.5,300\n"
    "host.lab.example,AAAA,2001:db8::5,300\n"
    "lab.example,MX,10 mail.lab.example,3600\n"
    "lab.example,MX,20 backup.lab.example,3600\n"
    "lab.example,TXT,\"v=spf1 mx -all\" \"a, b # not a comment\",600\n"
    "_sip._udp.lab.example,SRV,0 5 5060 host.lab.example,120\n"
    "www.lab.example,CNAME,web.lab.example,60\n"
    "web.lab.example,CNAME,host.lab.example,60\n"
    "loop1.lab.example,CNAME,loop2.lab.example,60\n"
    "loop2.lab.example,CNAME,loop1.lab.example,60\n"
    "9.2.0.192.in-addr.arpa,PTR,named.lab.example,90\n"
    "other.lab.example,192.0.2.9,300\n"
    "*.dev.lab.example,10.0.0.5,45\n"
    "db.dev.lab.example,10.0.0.6,45\n";

// dig's answer section, one record a line with single spaces, sorted (dig pads with tabs).
Lines answer_section(std::uint16_t port, std::vector<std::string> args) {
  args.insert(args.begin(), {"+noall", "+answer"});
  std::string spaced;
  for (char c : dig(port, args).out) spaced.push_back(c == '\t' ? ' ' : c);
  std::string single;
  for (char c : spaced) {
    if (c == ' ' && !single.empty() && single.back() == ' ') continue;
    single.push_back(c);
  }
  return sorted_lines(single);
}

void replace_file(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new") << content;
  std::rename((path + ".new").c_str(), path.c_str());
}

}  // namespace

TEST_CASE("dig gets MX, TXT, SRV, AAAA and PTR records from the record file", "[local-data]") {
  ResolverServer server(write_temp_file("types.txt", kLab), std::nullopt);
  auto mx = dig(server.port(), {"+short", "lab.example", "MX"});
  CHECK(sorted_lines(mx.out) == Lines{"10 mail.lab.example.", "20 backup.lab.example."});
  auto txt = dig(server.port(), {"+short", "lab.example", "TXT"});
  CHECK(txt.out == "\"v=spf1 mx -all\" \"a, b # not a comment\"\n");
  auto srv = dig(server.port(), {"+short", "_sip._udp.lab.example", "SRV"});
  CHECK(srv.out == "0 5 5060 host.lab.example.\n");
  auto aaaa = dig(server.port(), {"+short", "host.lab.example", "AAAA"});
  CHECK(aaaa.out == "2001:db8::5\n");
  auto ptr = dig(server.port(), {"+short", "-x", "192.0.2.9"});
  CHECK(ptr.out == "named.lab.example.\n");
  CHECK(contains(dig(server.port(), {"lab.example", "MX"}).out, "flags: qr aa rd;"));
  CHECK(answer_section(server.port(), {"lab.example", "MX"}) ==
        Lines{"lab.example. 3600 IN MX 10 mail.lab.example.",
              "lab.example. 3600 IN MX 20 backup.lab.example."});
}

TEST_CASE("a CNAME chain inside local data is followed to the addresses", "[local-data]") {
  ResolverServer server(write_temp_file("cname.txt", kLab), std::nullopt);
  auto chain = dig(server.port(), {"www.lab.example", "A"});
  CHECK(contains(chain.out, "status: NOERROR"));
  CHECK(contains(chain.out, "ANSWER: 3,"));
  CHECK(answer_section(server.port(), {"www.lab.example", "A"}) ==
        Lines{"host.lab.example. 300 IN A 192.0.2.5",
              "web.lab.example. 60 IN CNAME host.lab.example.",
              "www.lab.example. 60 IN CNAME web.lab.example."});
  auto cname_only = dig(server.port(), {"+short", "www.lab.example", "CNAME"});
  CHECK(cname_only.out == "web.lab.example.\n");
  auto loop = dig(server.port(), {"loop1.lab.example", "A"});
  CHECK(contains(loop.out, "status: SERVFAIL"));
  // The text protocol answers the final addresses under the asked name.
  CHECK(text_query(server.port(), "www.lab.example") ==
        "www.lab.example,192.0.2.5,300\nwww.lab.example,2001:db8::5,300");
}

TEST_CASE("a wildcard answers the names below it that do not exist, as RFC 4592 says",
          "[local-data]") {
  ResolverServer server(write_temp_file("wildcard.txt", kLab), std::nullopt);
  CHECK(contains(dig(server.port(), {"anything.dev.lab.example"}).out, "flags: qr aa rd;"));
  CHECK(answer_section(server.port(), {"anything.dev.lab.example", "A"}) ==
        Lines{"anything.dev.lab.example. 45 IN A 10.0.0.5"});
  CHECK(dig(server.port(), {"+short", "a.b.dev.lab.example"}).out == "10.0.0.5\n");
  // A name of its own blocks the wildcard, for itself and below it.
  CHECK(dig(server.port(), {"+short", "db.dev.lab.example"}).out == "10.0.0.6\n");
  CHECK(contains(dig(server.port(), {"x.db.dev.lab.example"}).out, "status: NXDOMAIN"));
  auto nodata = dig(server.port(), {"anything.dev.lab.example", "AAAA"});
  CHECK(contains(nodata.out, "status: NOERROR"));
  CHECK(contains(nodata.out, "ANSWER: 0, AUTHORITY: 1"));
}

TEST_CASE("every local address answers its PTR question unless --no-auto-ptr", "[local-data]") {
  auto path = write_temp_file("auto-ptr.txt", kLab);
  {
    ResolverServer server(path, std::nullopt);
    CHECK(dig(server.port(), {"+short", "-x", "192.0.2.5"}).out == "host.lab.example.\n");
    CHECK(dig(server.port(), {"+short", "-x", "2001:db8::5"}).out == "host.lab.example.\n");
    CHECK(contains(dig(server.port(), {"-x", "192.0.2.5"}).out, "flags: qr aa rd;"));
    CHECK(answer_section(server.port(), {"-x", "192.0.2.5"}) ==
          Lines{"5.2.0.192.in-addr.arpa. 300 IN PTR host.lab.example."});
    // An explicit PTR wins over the one the A record would give.
    CHECK(dig(server.port(), {"+short", "-x", "192.0.2.9"}).out == "named.lab.example.\n");
  }
  ResolverServer server(path, std::nullopt, {"--no-auto-ptr"});
  CHECK(contains(dig(server.port(), {"-x", "192.0.2.5"}).out, "status: NXDOMAIN"));
  CHECK(dig(server.port(), {"+short", "-x", "192.0.2.9"}).out == "named.lab.example.\n");
}

TEST_CASE("a hosts file's names are served beside the record file and reloaded with it",
          "[local-data]") {
  auto records = write_temp_file("hosts-records.txt", "printer.lab.example,192.0.2.30,300\n");
  auto hosts = write_temp_file("hosts",
                               "# a comment line\n"
                               "127.0.0.1\tlocalhost\n"
                               "192.0.2.40  nas.lab.example nas   # trailing comment\n"
                               "2001:db8::40 nas.lab.example\n");
  ResolverServer server(records, std::nullopt, {"--hosts", hosts, "--hosts-ttl", "30"});
  CHECK(answer_section(server.port(), {"nas.lab.example", "A"}) ==
        Lines{"nas.lab.example. 30 IN A 192.0.2.40"});
  CHECK(dig(server.port(), {"+short", "nas"}).out == "192.0.2.40\n");
  CHECK(dig(server.port(), {"+short", "nas.lab.example", "AAAA"}).out == "2001:db8::40\n");
  CHECK(dig(server.port(), {"+short", "printer.lab.example"}).out == "192.0.2.30\n");
  CHECK(dig(server.port(), {"+short", "-x", "192.0.2.40"}).out == "nas.lab.example.\n");

  replace_file(hosts, "192.0.2.41 nas.lab.example\n");
  kill(server.process().pid(), SIGHUP);
  REQUIRE(server.process().wait_for_log("reloaded " + records));
  CHECK(dig(server.port(), {"+short", "nas.lab.example"}).out == "192.0.2.41\n");
  CHECK(contains(dig(server.port(), {"nas"}).out, "status: NXDOMAIN"));
}

TEST_CASE("check refuses a CNAME beside other data, naming the line", "[local-data]") {
  auto path = write_temp_file("cname-clash.txt",
                              "alias.example,192.0.2.1,60\n"
                              "alias.example,CNAME,target.example,60\n");
  auto result = run({binary(), "check", path});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, path + ":2:"));
  CHECK(contains(result.err, "CNAME"));
}

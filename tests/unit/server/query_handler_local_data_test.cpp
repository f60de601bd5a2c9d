// QueryHandler over richer local data: CNAME chains, wildcards, automatic PTR, RFC 6303
// private reverse zones and split-DNS routing. Pure: no sockets, a manual clock.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../records/local_zone.hpp"
#include "query_handler_fixture.hpp"
#include "resolver/dns/rdata.hpp"
#include "resolver/dns/wire_reader.hpp"
#include "resolver/records/local_answer.hpp"

using namespace query_handler_test;
using local_zone::Zone;

namespace {

struct Handler {
  explicit Handler(std::shared_ptr<const resolver::records::LocalRecords> records,
                   HandlerSettings settings = {})
      : cache(CacheSettings{}), handler(std::move(records), cache, std::move(settings)) {}

  Resolution resolve(const Question& q, bool rd = true, TimePoint now = at(0)) {
    out = Answer{};
    return handler.resolve(q, rd, now, out);
  }

  Cache cache;
  QueryHandler handler;
  Answer out;
};

HandlerSettings forwarding(std::vector<const char*> domains, bool has_parent = false) {
  HandlerSettings settings;
  settings.has_parent = has_parent;
  for (const char* domain : domains) settings.forward_domains.push_back(DnsName::from_text(domain));
  return settings;
}

std::string text_of_name(const std::vector<std::uint8_t>& wire) {
  resolver::dns::WireReader reader(wire);
  return DnsName::read(reader).to_text();
}

// Each answer record as "owner TYPE data", data an address or a name.
std::vector<std::string> lines(const Answer& answer) {
  std::vector<std::string> texts;
  for (const auto& record : answer.answers) {
    std::string text = record.name.to_text() + " " + resolver::dns::type_name(record.type) + " ";
    if (record.type == RrType::CNAME || record.type == RrType::PTR) {
      text += text_of_name(record.rdata);
    } else {
      text += resolver::dns::address_text(record).value_or("?");
    }
    texts.push_back(text);
  }
  return texts;
}

using Lines = std::vector<std::string>;

// A chain of `length` CNAMEs c0 -> c1 -> ... ending at an address.
std::shared_ptr<const resolver::records::LocalRecords> chain_of(int length) {
  Zone zone;
  for (int i = 0; i < length; ++i) {
    zone.cname("c" + std::to_string(i) + ".lan", "c" + std::to_string(i + 1) + ".lan");
  }
  zone.address("c" + std::to_string(length) + ".lan", "10.0.0.1");
  return zone.build();
}

const char* const kReverse6 =
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";

}  // namespace

// ---- CNAME chains ------------------------------------------------------------------------------

TEST_CASE("a local CNAME is answered with the chain and then the target's records",
          "[handler][cname]") {
  Handler h(Zone()
                .cname("www.lan", "web.lan", 300)
                .cname("web.lan", "host.lan", 200)
                .address("host.lan", "10.0.0.1", 100)
                .build());
  REQUIRE(h.resolve(question("WWW.lan")) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) ==
        Lines{"WWW.lan CNAME web.lan", "web.lan CNAME host.lan", "host.lan A 10.0.0.1"});
  CHECK(ttls(h.out) == std::vector<std::uint32_t>{300, 200, 100});
}

TEST_CASE("a chain whose target lacks the type is NODATA with the chain and a SOA",
          "[handler][cname]") {
  HandlerSettings settings;
  settings.local_negative_ttl = 17;
  Handler h(Zone().cname("www.lan", "host.lan").address("host.lan", "10.0.0.1").build(), settings);
  REQUIRE(h.resolve(question("www.lan", RrType::AAAA)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"www.lan CNAME host.lan"});
  REQUIRE(h.out.authority.size() == 1);
  CHECK(h.out.authority[0].type == RrType::SOA);
  CHECK(h.out.authority[0].ttl == 17);
}

TEST_CASE("asked CNAME or ANY, a CNAME name answers its own record without chasing",
          "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "host.lan").address("host.lan", "10.0.0.1").build());
  REQUIRE(h.resolve(question("www.lan", RrType::CNAME)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"www.lan CNAME host.lan"});
  REQUIRE(h.resolve(question("www.lan", RrType::ANY)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"www.lan CNAME host.lan"});
}

TEST_CASE("a CNAME loop is SERVFAIL", "[handler][cname]") {
  Handler h(
      Zone().cname("a.lan", "b.lan").cname("b.lan", "A.LAN").cname("self.lan", "self.lan").build());
  REQUIRE(h.resolve(question("a.lan")) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::ServFail);
  CHECK(h.out.answers.empty());
  REQUIRE(h.resolve(question("self.lan", RrType::TXT)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::ServFail);
}

TEST_CASE("eight CNAMEs are followed, a ninth is SERVFAIL", "[handler][cname]") {
  Handler eight(chain_of(static_cast<int>(resolver::records::kMaxCnameChain)));
  REQUIRE(eight.resolve(question("c0.lan")) == Resolution::Answered);
  CHECK(eight.out.rcode == Rcode::NoError);
  CHECK(eight.out.answers.size() == 9);
  CHECK(eight.out.answers.back().name.to_text() == "c8.lan");

  Handler nine(chain_of(9));
  REQUIRE(nine.resolve(question("c0.lan")) == Resolution::Answered);
  CHECK(nine.out.rcode == Rcode::ServFail);
  REQUIRE(nine.resolve(question("c1.lan")) == Resolution::Answered);  // eight from there
  CHECK(nine.out.rcode == Rcode::NoError);
}

TEST_CASE("only the final records rotate; the chain keeps its order", "[handler][cname]") {
  Zone zone;
  zone.cname("www.lan", "host.lan");
  for (const auto& address : kThree) zone.address("host.lan", address);
  Handler h(zone.build());
  std::vector<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(h.resolve(question("www.lan")) == Resolution::Answered);
    REQUIRE(h.out.answers.size() == 4);
    CHECK(h.out.answers[0].type == RrType::CNAME);
    Answer finals = h.out;
    finals.answers.erase(finals.answers.begin());
    CHECK(sorted(addresses(finals)) == kThree);
    firsts.push_back(addresses(finals)[0]);
  }
  CHECK(sorted(firsts) == kThree);
}

TEST_CASE("a chain whose target is not local asks the caller to follow the target",
          "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "cdn.example.net", 300).build(), with_parent());
  REQUIRE(h.resolve(question("www.lan", RrType::AAAA)) == Resolution::FollowTarget);
  CHECK(h.out.authoritative);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK(lines(h.out) == Lines{"www.lan CNAME cdn.example.net"});

  Question target = QueryHandler::follow_target(question("www.lan", RrType::AAAA), h.out);
  CHECK(target.name.to_text() == "cdn.example.net");
  CHECK(target.type == RrType::AAAA);
  CHECK(h.handler.route_of(target.name) == 0);

  Answer parent;
  parent.answers.push_back(address_record("cdn.example.net", "2001:db8::7", 30));
  Answer joined = QueryHandler::join_chain(h.out, parent);
  CHECK(joined.rcode == Rcode::NoError);
  CHECK_FALSE(joined.authoritative);
  CHECK(lines(joined) ==
        Lines{"www.lan CNAME cdn.example.net", "cdn.example.net AAAA 2001:db8::7"});
}

TEST_CASE("join_chain takes the target's rcode; a failed target is SERVFAIL alone",
          "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "gone.example.net").build(), with_parent());
  REQUIRE(h.resolve(question("www.lan")) == Resolution::FollowTarget);
  Answer nxdomain = test_support::negative_with_soa(Rcode::NxDomain, 300, 60);
  Answer joined = QueryHandler::join_chain(h.out, nxdomain);
  CHECK(joined.rcode == Rcode::NxDomain);  // RFC 6604: the last name's rcode
  CHECK(lines(joined) == Lines{"www.lan CNAME gone.example.net"});
  CHECK(joined.authority.size() == 1);

  Answer failed = QueryHandler::join_chain(h.out, resolver::dns::failure_answer(Rcode::ServFail));
  CHECK(failed.rcode == Rcode::ServFail);
  CHECK(failed.answers.empty());
}

TEST_CASE("follow_target walks the chain from the name asked", "[handler][cname]") {
  Answer chain;
  chain.answers.push_back(cname_record("b.lan", "c.example", 60));  // out of order
  chain.answers.push_back(cname_record("a.lan", "b.lan", 60));
  CHECK(QueryHandler::follow_target(question("A.lan"), chain).name.to_text() == "c.example");
  CHECK(QueryHandler::follow_target(question("x.lan"), chain).name.to_text() == "x.lan");
}

TEST_CASE("a chain to a cached target is answered at once, joined", "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "cdn.example.net", 300).build(), with_parent());
  h.cache.insert(question("cdn.example.net"), parent_answer("cdn.example.net", "192.0.2.7", 100),
                 at(0));
  REQUIRE(h.resolve(question("www.lan"), true, at(10)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK_FALSE(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"www.lan CNAME cdn.example.net", "cdn.example.net A 192.0.2.7"});
  CHECK(ttls(h.out) == std::vector<std::uint32_t>{300, 90});
}

TEST_CASE("a chain to a target nobody serves is NXDOMAIN on a root", "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "cdn.example.net").build());
  REQUIRE(h.resolve(question("www.lan")) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NxDomain);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"www.lan CNAME cdn.example.net"});
  CHECK(h.out.authority.size() == 1);
}

TEST_CASE("without recursion a chain leaving local data is answered as it stands",
          "[handler][cname]") {
  Handler h(Zone().cname("www.lan", "cdn.example.net").build(), with_parent());
  REQUIRE(h.resolve(question("www.lan"), false) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"www.lan CNAME cdn.example.net"});
}

TEST_CASE("a chain into a forward domain follows the target on that domain's route",
          "[handler][cname]") {
  Handler h(Zone().cname("intranet.lan", "portal.corp.example").build(),
            forwarding({"corp.example"}));
  REQUIRE(h.resolve(question("intranet.lan")) == Resolution::FollowTarget);
  auto target = QueryHandler::follow_target(question("intranet.lan"), h.out);
  CHECK(h.handler.route_of(target.name) == 1);
}

TEST_CASE("a chain into a private reverse zone ends in NXDOMAIN there", "[handler][cname]") {
  Handler h(Zone().cname("x.lan", "9.9.168.192.in-addr.arpa").build(), with_parent());
  REQUIRE(h.resolve(question("x.lan", RrType::PTR)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NxDomain);
  CHECK(h.out.authoritative);
  CHECK(h.out.answers.size() == 1);
}

// ---- wildcards ---------------------------------------------------------------------------------

TEST_CASE("a wildcard answers a missing name with the name asked as owner", "[handler][wildcard]") {
  Handler h(Zone()
                .address("*.dev.example", "10.0.0.5", 60)
                .address("*.dev.example", "2001:db8::5", 60)
                .address("db.dev.example", "10.0.0.6")
                .build(),
            with_parent());
  REQUIRE(h.resolve(question("App.dev.example")) == Resolution::Answered);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"App.dev.example A 10.0.0.5"});
  REQUIRE(h.resolve(question("a.b.dev.example", RrType::AAAA)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"a.b.dev.example AAAA 2001:db8::5"});
  REQUIRE(h.resolve(question("db.dev.example")) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"db.dev.example A 10.0.0.6"});
  REQUIRE(h.resolve(question("db.dev.example", RrType::AAAA)) == Resolution::Answered);
  check_negative(h.out, Rcode::NoError, 60, true);  // it exists: the wildcard does not apply
}

TEST_CASE("a wildcard without the asked type is NODATA", "[handler][wildcard]") {
  Handler h(Zone().address("*.dev.example", "10.0.0.5").build(), with_parent());
  REQUIRE(h.resolve(question("app.dev.example", RrType::MX)) == Resolution::Answered);
  check_negative(h.out, Rcode::NoError, 60, true);
}

TEST_CASE("inside a wildcard's authority, empty non-terminals are NODATA and the rest NXDOMAIN",
          "[handler][wildcard]") {
  HandlerSettings settings = with_parent();
  settings.local_negative_ttl = 33;
  Handler h(Zone()
                .address("*.dev.example", "10.0.0.5")
                .address("_http._tcp.api.dev.example", "10.0.0.7")
                .build(),
            settings);
  for (const char* name : {"dev.example", "api.dev.example", "_tcp.api.dev.example"}) {
    CAPTURE(name);
    REQUIRE(h.resolve(question(name)) == Resolution::Answered);
    check_negative(h.out, Rcode::NoError, 33, true);
  }
  REQUIRE(h.resolve(question("x.api.dev.example")) == Resolution::Answered);
  check_negative(h.out, Rcode::NxDomain, 33, true);
  // Outside: not ours, forwarded as ever.
  CHECK(h.resolve(question("www.example")) == Resolution::Forward);
}

TEST_CASE("a wildcard CNAME is chased from the synthesised owner", "[handler][wildcard]") {
  Handler h(Zone().cname("*.apps.lan", "ingress.lan").address("ingress.lan", "10.0.0.80").build());
  REQUIRE(h.resolve(question("shop.apps.lan")) == Resolution::Answered);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"shop.apps.lan CNAME ingress.lan", "ingress.lan A 10.0.0.80"});
}

TEST_CASE("a chain into a wildcard's NXDOMAIN is NXDOMAIN with the chain", "[handler][wildcard]") {
  Handler h(Zone()
                .cname("www.lan", "x.api.dev.example")
                .address("*.dev.example", "10.0.0.5")
                .address("a.api.dev.example", "10.0.0.6")
                .build(),
            with_parent());
  REQUIRE(h.resolve(question("www.lan")) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NxDomain);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"www.lan CNAME x.api.dev.example"});
  REQUIRE(h.out.authority.size() == 1);
}

// ---- automatic PTR -----------------------------------------------------------------------------

TEST_CASE("a PTR question for a local address answers its first name", "[handler][ptr]") {
  Handler h(Zone()
                .address("nas.lan", "192.168.1.5", 120)
                .address("files.lan", "192.168.1.5")
                .address("nas.lan", "2001:db8::1", 240)
                .build());
  REQUIRE(h.resolve(question("5.1.168.192.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NoError);
  CHECK(h.out.authoritative);
  CHECK(lines(h.out) == Lines{"5.1.168.192.in-addr.arpa PTR nas.lan"});
  CHECK(ttls(h.out) == std::vector<std::uint32_t>{120});
  REQUIRE(h.resolve(question(kReverse6, RrType::PTR)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{std::string(kReverse6) + " PTR nas.lan"});
  CHECK(ttls(h.out) == std::vector<std::uint32_t>{240});
}

TEST_CASE("other types at an automatic PTR name are NODATA", "[handler][ptr]") {
  Handler h(Zone().address("nas.lan", "192.168.1.5").build(), with_parent());
  REQUIRE(h.resolve(question("5.1.168.192.in-addr.arpa", RrType::A)) == Resolution::Answered);
  check_negative(h.out, Rcode::NoError, 60, true);
  REQUIRE(h.resolve(question("5.1.168.192.in-addr.arpa", RrType::ANY)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"5.1.168.192.in-addr.arpa PTR nas.lan"});
}

TEST_CASE("an explicit PTR record wins over the automatic one", "[handler][ptr]") {
  Handler h(Zone()
                .address("nas.lan", "192.168.1.5")
                .ptr("5.1.168.192.in-addr.arpa", "storage.lan", 900)
                .build());
  REQUIRE(h.resolve(question("5.1.168.192.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"5.1.168.192.in-addr.arpa PTR storage.lan"});
  CHECK(ttls(h.out) == std::vector<std::uint32_t>{900});
}

TEST_CASE("with automatic PTR off, a reverse name is not local", "[handler][ptr]") {
  HandlerSettings settings = with_parent();
  settings.auto_ptr = false;
  Handler h(Zone().address("nas.lan", "192.168.1.5").address("web.lan", "203.0.114.1").build(),
            settings);
  REQUIRE(h.resolve(question("5.1.168.192.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  check_negative(h.out, Rcode::NxDomain, 60, true);  // a private zone
  CHECK(h.resolve(question("1.114.0.203.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
  CHECK_FALSE(h.handler.records()->has_reverse_index());  // never needed, never built
}

TEST_CASE("a public local address gets its PTR locally, its neighbours are forwarded",
          "[handler][ptr]") {
  Handler h(Zone().address("web.lan", "203.0.114.1").build(), with_parent());
  REQUIRE(h.resolve(question("1.114.0.203.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"1.114.0.203.in-addr.arpa PTR web.lan"});
  CHECK(h.resolve(question("2.114.0.203.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
  CHECK(h.resolve(question("114.0.203.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
}

// ---- private reverse zones (RFC 6303) ----------------------------------------------------------

TEST_CASE("private reverse names are NXDOMAIN locally, with or without a parent",
          "[handler][private]") {
  for (bool parent : {false, true}) {
    HandlerSettings settings;
    settings.has_parent = parent;
    Handler h(Zone().address("nas.lan", "192.168.1.5").build(), settings);
    for (const char* name :
         {"9.1.168.192.in-addr.arpa", "1.0.0.127.in-addr.arpa", "2.0.192.in-addr.arpa",
          "10.in-addr.arpa", "1.1.64.100.in-addr.arpa",
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
          "1.2.3.d.f.ip6.arpa", kReverse6}) {
      CAPTURE(parent, name);
      REQUIRE(h.resolve(question(name, RrType::PTR)) == Resolution::Answered);
      check_negative(h.out, Rcode::NxDomain, 60, true);
    }
    CHECK(h.resolve(question("8.8.8.8.in-addr.arpa", RrType::PTR)) ==
          (parent ? Resolution::Forward : Resolution::Answered));
  }
}

TEST_CASE("private reverse zones come before the cache", "[handler][private]") {
  Handler h(Zone().build(), with_parent());
  Answer planted;
  ResourceRecord record;
  record.name = DnsName::from_text("9.1.168.192.in-addr.arpa");
  record.type = RrType::PTR;
  record.ttl = 300;
  const DnsName leaked = DnsName::from_text("leaked.example");
  record.rdata.assign(leaked.wire().begin(), leaked.wire().end());
  planted.answers.push_back(record);
  REQUIRE(h.cache.insert(question("9.1.168.192.in-addr.arpa", RrType::PTR), planted, at(0)));
  REQUIRE(h.resolve(question("9.1.168.192.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NxDomain);
}

TEST_CASE("local data in a private reverse zone answers before the zone's NXDOMAIN",
          "[handler][private]") {
  Handler h(Zone().ptr("1.0.0.10.in-addr.arpa", "gw.lan").build(), with_parent());
  REQUIRE(h.resolve(question("1.0.0.10.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"1.0.0.10.in-addr.arpa PTR gw.lan"});
  REQUIRE(h.resolve(question("2.0.0.10.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::NxDomain);
}

TEST_CASE("a forward domain at least as specific as the private zone forwards its names",
          "[handler][private]") {
  Handler h(Zone().build(),
            forwarding({"168.192.in-addr.arpa", "1.0.10.in-addr.arpa", "in-addr.arpa"}));
  REQUIRE(h.resolve(question("9.1.168.192.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
  CHECK(h.handler.route_of(DnsName::from_text("9.1.168.192.in-addr.arpa")) == 1);
  REQUIRE(h.resolve(question("9.1.0.10.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
  CHECK(h.handler.route_of(DnsName::from_text("9.1.0.10.in-addr.arpa")) == 2);
  // in-addr.arpa is less specific than 10.in-addr.arpa: the zone stays local.
  REQUIRE(h.resolve(question("9.2.0.10.in-addr.arpa", RrType::PTR)) == Resolution::Answered);
  check_negative(h.out, Rcode::NxDomain, 60, true);
  // ...and a public reverse name goes to in-addr.arpa's parents.
  CHECK(h.resolve(question("8.8.8.8.in-addr.arpa", RrType::PTR)) == Resolution::Forward);
}

// ---- routing ------------------------------------------------------------------------------------

TEST_CASE("a root with forward domains forwards their names and answers NXDOMAIN for the rest",
          "[handler][routing]") {
  Handler h(Zone().address("host.lan", "10.0.0.1").build(), forwarding({"corp.example"}));
  CHECK(h.resolve(question("www.corp.example")) == Resolution::Forward);
  CHECK(h.handler.route_of(DnsName::from_text("www.corp.example")) == 1);
  REQUIRE(h.resolve(question("www.corp.example"), false) == Resolution::Answered);
  CHECK(h.out.rcode == Rcode::Refused);
  REQUIRE(h.resolve(question("www.example.org")) == Resolution::Answered);
  check_negative(h.out, Rcode::NxDomain, 60, true);
  REQUIRE(h.resolve(question("host.lan")) == Resolution::Answered);
  CHECK(lines(h.out) == Lines{"host.lan A 10.0.0.1"});
}

TEST_CASE("with a parent, names below no forward domain go to route 0", "[handler][routing]") {
  Handler h(Zone().build(), forwarding({"corp.example"}, true));
  CHECK(h.resolve(question("www.example.org")) == Resolution::Forward);
  CHECK(h.handler.route_of(DnsName::from_text("www.example.org")) == 0);
  CHECK(h.resolve(question("a.corp.example")) == Resolution::Forward);
  CHECK(h.handler.route_of(DnsName::from_text("a.corp.example")) == 1);
}

TEST_CASE("local data inside a forward domain is answered locally", "[handler][routing]") {
  Handler h(Zone().address("printer.corp.example", "10.1.0.9").build(),
            forwarding({"corp.example"}));
  REQUIRE(h.resolve(question("printer.corp.example")) == Resolution::Answered);
  CHECK(h.out.authoritative);
  CHECK(addresses(h.out) == std::vector<std::string>{"10.1.0.9"});
}

// ---- the chase alone ---------------------------------------------------------------------------

TEST_CASE("answer_local says NotLocal, Answered or FollowTarget without a cache or parents",
          "[handler][cname]") {
  auto zone = Zone()
                  .cname("www.lan", "cdn.example.net")
                  .cname("web.lan", "host.lan")
                  .address("host.lan", "10.0.0.1")
                  .build();
  resolver::records::LocalAnswerSettings settings;
  Answer out;
  using resolver::records::LocalOutcome;
  CHECK(resolver::records::answer_local(*zone, question("other.example"), settings, out) ==
        LocalOutcome::NotLocal);
  REQUIRE(resolver::records::answer_local(*zone, question("web.lan"), settings, out) ==
          LocalOutcome::Answered);
  CHECK(lines(out) == Lines{"web.lan CNAME host.lan", "host.lan A 10.0.0.1"});
  REQUIRE(resolver::records::answer_local(*zone, question("www.lan"), settings, out) ==
          LocalOutcome::FollowTarget);
  CHECK(out.authoritative);
  CHECK(lines(out) == Lines{"www.lan CNAME cdn.example.net"});
}

// The Responder without sockets: requests in as bytes, replies out as bytes, a scripted parent
// and a manual clock. Each rule is checked on the hit path and the general path alike.
#include "resolver/server/responder.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"
#include "resolver/net/proxy_header.hpp"
#include "support/records.hpp"
#include "support/scripted_parent.hpp"
#include "support/worker_parts.hpp"

using namespace std::chrono_literals;
using resolver::dns::Question;
using resolver::dns::Rcode;
using resolver::dns::RrType;
using resolver::server::Responder;
using test_support::address_record;
using test_support::addresses;
using test_support::question;

namespace {

using Bytes = std::vector<std::uint8_t>;
using Endpoint = boost::asio::ip::udp::endpoint;

const Endpoint kClient{boost::asio::ip::make_address("192.168.1.10"), 40000};

Bytes dns_query(std::string_view name, RrType type = RrType::A, std::uint16_t id = 0x1234) {
  std::array<std::uint8_t, 512> buffer{};
  auto size = resolver::dns::build_query(question(name, type), id, true, buffer);
  return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size)};
}

Bytes text_query(std::string_view name) {
  return {name.begin(), name.end()};
}

// Records every reply sent after respond() returned, and where it was to go.
struct Channel : resolver::server::ReplyChannel {
  std::vector<Bytes> sent;
  std::vector<Endpoint> sent_to;
  Send deferred(const Endpoint& to) override {
    sent_to.push_back(to);
    return [this](std::span<const std::uint8_t> reply) {
      sent.emplace_back(reply.begin(), reply.end());
    };
  }
};

std::vector<resolver::dns::ResourceRecord> local_records() {
  std::vector<resolver::dns::ResourceRecord> records{
      address_record("host.test", "192.0.2.1"),
      address_record("host.test", "2001:db8::1"),
  };
  for (int i = 1; i <= 120; ++i) {
    records.push_back(address_record("many.test", "10.0.0." + std::to_string(i)));
  }
  return records;
}

// One worker of a server: local records, cache, handler, and with a parent its forwarder.
struct Worker : test_support::WorkerParts {
  explicit Worker(bool has_parent, resolver::server::ClientPolicy policy = {})
      : WorkerParts(local_records(), has_parent),
        responder(resolver::server::ResponderParts{
            handler, routes(), policy, resolver::server::QueryLogFormat::Off, &metrics, &clock}) {}

  // Answers `bytes`, read ahead as a transport reading a batch does when `prepared` is set.
  Responder::Response respond(const Bytes& bytes, bool prepared = true, Endpoint client = kClient,
                              Responder::Transport transport = Responder::Transport::Udp) {
    Responder::Prepared ahead;
    if (prepared) responder.prepare(bytes, ahead);
    auto response = responder.respond(
        {bytes, client, clock.now(), prepared ? &ahead : nullptr, transport}, out, channel);
    reply.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(response.size));
    return response;
  }

  Responder responder;
  Channel channel;
  std::array<std::uint8_t, Responder::kMaxTcpReply> out{};
  Bytes reply;
};

resolver::dns::UpstreamReply read_reply(const Bytes& reply, std::string_view name,
                                        RrType type = RrType::A, std::uint16_t id = 0x1234) {
  return resolver::dns::parse_upstream_reply(reply, id, question(name, type));
}

bool recursion_available(const Bytes& reply) {
  return reply.size() > 3 && (reply[3] & 0x80) != 0;
}

std::string as_text(const Bytes& bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("a plain query for a local name is answered on the hit path as on the general path",
          "[responder]") {
  Worker hit(false);
  Worker general(false);
  auto query = dns_query("HOST.test");
  REQUIRE(hit.respond(query, true).outcome == Responder::Outcome::Reply);
  REQUIRE(general.respond(query, false).outcome == Responder::Outcome::Reply);
  CHECK(hit.reply == general.reply);
  auto reply = read_reply(hit.reply, "host.test");
  REQUIRE(reply.status == resolver::dns::ReplyStatus::Accepted);
  CHECK(addresses(reply.answer) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("a client over the rate limit is dropped before its bytes are read", "[responder]") {
  resolver::server::RateLimiter limiter(1);
  Worker worker(false, {nullptr, &limiter});
  CHECK(worker.respond(dns_query("host.test")).outcome == Responder::Outcome::Reply);
  CHECK(worker.respond(dns_query("host.test")).outcome == Responder::Outcome::Drop);
  CHECK(worker.respond(Bytes{0, 1, 2}).outcome == Responder::Outcome::Drop);
  worker.clock.advance(1s);  // the bucket refills with time, not with requests
  CHECK(worker.respond(dns_query("host.test")).outcome == Responder::Outcome::Reply);
  Endpoint other{boost::asio::ip::make_address("192.168.1.11"), 40000};
  CHECK(worker.respond(dns_query("host.test"), true, other).outcome == Responder::Outcome::Reply);
}

TEST_CASE("malformed requests get FORMERR in their protocol, garbage is dropped", "[responder]") {
  Worker worker(false);
  auto query = dns_query("host.test");
  query[5] = 2;  // QDCOUNT 2 with one question: the records run past the end
  REQUIRE(worker.respond(query).outcome == Responder::Outcome::Reply);
  CHECK((worker.reply[3] & 0x0f) == 1);  // FORMERR
  CHECK(worker.respond(Bytes{0x12, 0x34, 0x00}).outcome == Responder::Outcome::Drop);
  REQUIRE(worker.respond(text_query("bad..name")).outcome == Responder::Outcome::Reply);
  CHECK(as_text(worker.reply) == ",FORMERR,0");
}

TEST_CASE("a client outside the access list gets REFUSED, on the hit path too", "[responder]") {
  std::string bad;
  auto access = resolver::server::AccessList::parse({"10.0.0.0/8"}, bad);
  REQUIRE(access);
  Worker worker(false, {&*access, nullptr});
  for (bool prepared : {true, false}) {
    REQUIRE(worker.respond(dns_query("host.test"), prepared).outcome == Responder::Outcome::Reply);
    CHECK(read_reply(worker.reply, "host.test").answer.rcode == Rcode::Refused);
  }
  Endpoint inside{boost::asio::ip::make_address("10.1.2.3"), 40000};
  REQUIRE(worker.respond(dns_query("host.test"), true, inside).outcome ==
          Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, "host.test").answer.rcode == Rcode::NoError);
  REQUIRE(worker.respond(text_query("host.test")).outcome == Responder::Outcome::Reply);
  CHECK(as_text(worker.reply) == "host.test,REFUSED,0");
}

TEST_CASE("our own loop probe coming back gets SERVFAIL and its parent is dropped", "[responder]") {
  Worker worker(true);
  auto probe = worker.parents.probe_name(0).to_text();
  REQUIRE_FALSE(worker.parents.looped(0));
  REQUIRE(worker.respond(dns_query(probe)).outcome == Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, probe).answer.rcode == Rcode::ServFail);
  CHECK(worker.parents.looped(0));
  CHECK(worker.parent.questions.empty());
}

TEST_CASE("recursion available is set below a parent and clear on a root", "[responder]") {
  Worker root(false);
  Worker child(true);
  for (bool prepared : {true, false}) {
    root.respond(dns_query("host.test"), prepared);
    child.respond(dns_query("host.test"), prepared);
    CHECK_FALSE(recursion_available(root.reply));
    CHECK(recursion_available(child.reply));
  }
  root.respond(dns_query("unknown.test"));
  CHECK(read_reply(root.reply, "unknown.test").answer.rcode == Rcode::NxDomain);
}

TEST_CASE("a miss is pending until the parent answers, then goes out through the channel",
          "[responder]") {
  Worker worker(true);
  CHECK(worker.respond(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent.questions.size() == 1);
  CHECK(worker.channel.sent.empty());
  worker.parent.answer(0, "198.51.100.7");
  REQUIRE(worker.channel.sent.size() == 1);
  auto reply = read_reply(worker.channel.sent[0], "far.test");
  REQUIRE(reply.status == resolver::dns::ReplyStatus::Accepted);
  CHECK(addresses(reply.answer) == std::vector<std::string>{"198.51.100.7"});
  // Now cached: answered at once.
  CHECK(worker.respond(dns_query("far.test")).outcome == Responder::Outcome::Reply);
  CHECK(worker.parent.questions.size() == 1);
}

TEST_CASE("a text query gets A and AAAA in one reply, after the parent when not local",
          "[responder]") {
  Worker worker(true);
  REQUIRE(worker.respond(text_query("host.test")).outcome == Responder::Outcome::Reply);
  CHECK(as_text(worker.reply) == "host.test,192.0.2.1,60\nhost.test,2001:db8::1,60");

  CHECK(worker.respond(text_query("far.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent.questions.size() == 2);
  CHECK(worker.parent.questions[0].type == RrType::A);
  CHECK(worker.parent.questions[1].type == RrType::AAAA);
  worker.parent.answer(0, "198.51.100.7");
  CHECK(worker.channel.sent.empty());  // one reply, once both are in
  worker.parent.answer(1, "2001:db8::7");
  REQUIRE(worker.channel.sent.size() == 1);
  CHECK(as_text(worker.channel.sent[0]) == "far.test,198.51.100.7,60\nfar.test,2001:db8::7,60");
}

TEST_CASE("over TCP a big answer goes whole; over UDP it is truncated to no records",
          "[responder][tcp]") {
  Worker worker(false);
  auto query = dns_query("many.test");
  REQUIRE(worker.respond(query, true).outcome == Responder::Outcome::Reply);
  auto udp = worker.reply;
  CHECK((udp[2] & 0x02) != 0);  // TC
  CHECK(read_reply(udp, "many.test").status == resolver::dns::ReplyStatus::Truncated);
  for (bool prepared : {true, false}) {
    REQUIRE(worker.respond(query, prepared, kClient, Responder::Transport::Tcp).outcome ==
            Responder::Outcome::Reply);
    CHECK(worker.reply.size() > 1232);
    auto reply = read_reply(worker.reply, "many.test");
    REQUIRE(reply.status == resolver::dns::ReplyStatus::Accepted);
    CHECK(reply.answer.answers.size() == 120);
  }
}

TEST_CASE("the text protocol is UDP only: a text query over TCP is dropped", "[responder][tcp]") {
  Worker worker(false);
  CHECK(worker.respond(text_query("host.test"), true, kClient, Responder::Transport::Tcp).outcome ==
        Responder::Outcome::Drop);
  CHECK(worker.respond(text_query("host.test")).outcome == Responder::Outcome::Reply);
}

namespace {

Endpoint parent_endpoint(std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address("127.0.0.1"), port};
}

// A split-DNS worker: names at or below corp.example go to parent B, the rest to parent A (none
// on a root). alias.test is a local CNAME to a name of corp.example, elsewhere.test one to a
// name of the default route.
struct SplitWorker {
  explicit SplitWorker(bool has_default_parent)
      : handler(std::make_shared<const resolver::records::LocalRecords>(records()), cache,
                settings(has_default_parent)),
        parents_a({parent_endpoint(5301)}),
        parents_b({parent_endpoint(5302)}),
        forwarder_a(io, handler, parent_a, in_flight, clock, {}, 0ms),
        forwarder_b(io, handler, parent_b, in_flight, clock, {}, 0ms),
        responder(resolver::server::ResponderParts{
            handler,
            {has_default_parent ? resolver::server::ResponderRoute{&forwarder_a, &parents_a}
                                : resolver::server::ResponderRoute{},
             {&forwarder_b, &parents_b}},
            {},
            resolver::server::QueryLogFormat::Off}) {}

  static std::vector<resolver::dns::ResourceRecord> records() {
    return {address_record("host.test", "192.0.2.1"),
            test_support::cname_record("alias.test", "www.corp.example", 300),
            test_support::cname_record("elsewhere.test", "www.example.org", 300)};
  }
  static resolver::server::HandlerSettings settings(bool has_default_parent) {
    resolver::server::HandlerSettings settings;
    settings.has_parent = has_default_parent;
    settings.forward_domains = {resolver::dns::DnsName::from_text("corp.example")};
    return settings;
  }

  Responder::Response respond(const Bytes& bytes) {
    Responder::Prepared ahead;
    responder.prepare(bytes, ahead);
    auto response = responder.respond({bytes, kClient, clock.now(), &ahead}, out, channel);
    reply.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(response.size));
    return response;
  }

  resolver::server::ManualClock clock;
  resolver::cache::Cache cache;
  resolver::server::QueryHandler handler;
  resolver::server::ParentSet parents_a;
  resolver::server::ParentSet parents_b;
  test_support::ScriptedParent parent_a;
  test_support::ScriptedParent parent_b;
  resolver::server::InFlight in_flight;
  boost::asio::io_context io;
  resolver::server::Forwarder forwarder_a;
  resolver::server::Forwarder forwarder_b;
  Responder responder;
  Channel channel;
  std::array<std::uint8_t, Responder::kMaxTcpReply> out{};
  Bytes reply;
};

std::vector<std::string> owners_and_types(const resolver::dns::Answer& answer) {
  std::vector<std::string> result;
  for (const auto& record : answer.answers) {
    result.push_back(record.name.to_text() + " " +
                     std::string(resolver::dns::type_name(record.type)));
  }
  return result;
}

}  // namespace

TEST_CASE("a name at or below a forward domain goes to its parents, any other to the default ones",
          "[responder][split]") {
  SplitWorker worker(true);
  for (std::string_view name : {"www.corp.example", "corp.example", "a.b.CORP.example"}) {
    CAPTURE(name);
    CHECK(worker.respond(dns_query(name)).outcome == Responder::Outcome::Pending);
  }
  CHECK(worker.respond(dns_query("www.example.org")).outcome == Responder::Outcome::Pending);
  CHECK(worker.respond(dns_query("notcorp.example")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent_b.questions.size() == 3);
  CHECK(worker.parent_b.questions[2].name.to_text() == "a.b.CORP.example");
  REQUIRE(worker.parent_a.questions.size() == 2);
  CHECK(worker.parent_a.questions[0].name.to_text() == "www.example.org");
  CHECK(worker.parent_a.questions[1].name.to_text() == "notcorp.example");

  worker.parent_b.answer(0, "10.1.2.3");
  REQUIRE(worker.channel.sent.size() == 1);
  auto reply = read_reply(worker.channel.sent[0], "www.corp.example");
  REQUIRE(reply.status == resolver::dns::ReplyStatus::Accepted);
  CHECK(addresses(reply.answer) == std::vector<std::string>{"10.1.2.3"});
}

TEST_CASE("a text query goes to the parents of its name's route", "[responder][split]") {
  SplitWorker worker(true);
  CHECK(worker.respond(text_query("db.corp.example")).outcome == Responder::Outcome::Pending);
  CHECK(worker.parent_a.questions.empty());
  REQUIRE(worker.parent_b.questions.size() == 2);
  worker.parent_b.answer(0, "10.0.0.9");
  worker.parent_b.answer(1, "fd00::9");
  REQUIRE(worker.channel.sent.size() == 1);
  CHECK(as_text(worker.channel.sent[0]) ==
        "db.corp.example,10.0.0.9,60\ndb.corp.example,fd00::9,60");
}

TEST_CASE("a root with a forward domain forwards it, answers NXDOMAIN elsewhere, and offers RA",
          "[responder][split]") {
  SplitWorker worker(false);
  CHECK(worker.respond(dns_query("www.corp.example")).outcome == Responder::Outcome::Pending);
  CHECK(worker.parent_b.questions.size() == 1);
  REQUIRE(worker.respond(dns_query("www.example.org")).outcome == Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, "www.example.org").answer.rcode == Rcode::NxDomain);
  CHECK(recursion_available(worker.reply));  // it has parents, for some names
  REQUIRE(worker.respond(dns_query("host.test")).outcome == Responder::Outcome::Reply);
  CHECK(recursion_available(worker.reply));
  CHECK(worker.parent_a.questions.empty());
}

TEST_CASE("a forward domain's parent sending our loop probe back is dropped too",
          "[responder][split]") {
  SplitWorker worker(true);
  auto probe = worker.parents_b.probe_name(0).to_text();
  REQUIRE(worker.respond(dns_query(probe)).outcome == Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, probe).answer.rcode == Rcode::ServFail);
  CHECK(worker.parents_b.looped(0));
  CHECK_FALSE(worker.parents_a.looped(0));
  CHECK(worker.parent_a.questions.empty());
  CHECK(worker.parent_b.questions.empty());
}

TEST_CASE(
    "a local CNAME to a forwarded name asks the target of the target's route, then "
    "answers the chain and the parent's records",
    "[responder][split]") {
  SplitWorker worker(true);
  REQUIRE(worker.respond(dns_query("alias.test")).outcome == Responder::Outcome::Pending);
  CHECK(worker.parent_a.questions.empty());
  REQUIRE(worker.parent_b.questions.size() == 1);
  CHECK(worker.parent_b.questions[0].name.to_text() == "www.corp.example");
  CHECK(worker.parent_b.questions[0].type == RrType::A);
  worker.parent_b.answer(0, "10.1.2.3");
  REQUIRE(worker.channel.sent.size() == 1);
  auto reply = read_reply(worker.channel.sent[0], "alias.test");
  REQUIRE(reply.status == resolver::dns::ReplyStatus::Accepted);
  CHECK(owners_and_types(reply.answer) ==
        std::vector<std::string>{"alias.test CNAME", "www.corp.example A"});
  CHECK(reply.answer.rcode == Rcode::NoError);

  // The target's answer is cached under the target: the chain is answered at once now.
  REQUIRE(worker.respond(dns_query("alias.test")).outcome == Responder::Outcome::Reply);
  CHECK(owners_and_types(read_reply(worker.reply, "alias.test").answer) ==
        std::vector<std::string>{"alias.test CNAME", "www.corp.example A"});
  CHECK(worker.parent_b.questions.size() == 1);
}

TEST_CASE("a local CNAME whose target's parent fails gives SERVFAIL", "[responder][split]") {
  SplitWorker worker(true);
  REQUIRE(worker.respond(dns_query("elsewhere.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent_a.questions.size() == 1);
  CHECK(worker.parent_a.questions[0].name.to_text() == "www.example.org");
  worker.parent_a.fail(0);
  REQUIRE(worker.channel.sent.size() == 1);
  CHECK(read_reply(worker.channel.sent[0], "elsewhere.test").answer.rcode == Rcode::ServFail);
}

TEST_CASE("a text query for a CNAME'd name answers the target's addresses under the name asked",
          "[responder][split]") {
  SplitWorker worker(true);
  REQUIRE(worker.respond(text_query("alias.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent_b.questions.size() == 2);
  CHECK(worker.parent_b.questions[0].name.to_text() == "www.corp.example");
  CHECK(worker.parent_b.questions[1].type == RrType::AAAA);
  worker.parent_b.answer(0, "10.1.2.3");
  worker.parent_b.answer(1, "fd00::3");
  REQUIRE(worker.channel.sent.size() == 1);
  CHECK(as_text(worker.channel.sent[0]) == "alias.test,10.1.2.3,60\nalias.test,fd00::3,60");
}

namespace {

using resolver::server::AnswerSource;
using resolver::server::QueryProtocol;

std::uint64_t answers_from(const resolver::server::WorkerMetrics& metrics, AnswerSource source) {
  return metrics.answers[static_cast<std::size_t>(source)].value();
}

std::uint64_t queries_of(const resolver::server::WorkerMetrics& metrics, QueryProtocol protocol,
                         std::size_t slot) {
  return metrics.queries[static_cast<std::size_t>(protocol)][slot].value();
}

std::uint64_t responses_of(const resolver::server::WorkerMetrics& metrics, QueryProtocol protocol,
                           Rcode rcode) {
  return metrics.responses[static_cast<std::size_t>(protocol)][resolver::server::rcode_slot(rcode)]
      .value();
}

}  // namespace

TEST_CASE("each reply is counted by protocol, type, rcode and source, on both paths",
          "[responder][metrics]") {
  using resolver::server::type_slot;
  Worker worker(true);
  worker.respond(dns_query("host.test"), true);                 // hit path
  worker.respond(dns_query("host.test", RrType::AAAA), false);  // general path
  worker.respond(dns_query("host.test"), true, kClient, Responder::Transport::Tcp);
  worker.respond(dns_query("host.test", RrType::MX), false);  // local NODATA
  const auto& metrics = worker.metrics;
  CHECK(queries_of(metrics, QueryProtocol::Udp, type_slot(RrType::A)) == 1);
  CHECK(queries_of(metrics, QueryProtocol::Udp, type_slot(RrType::AAAA)) == 1);
  CHECK(queries_of(metrics, QueryProtocol::Udp, type_slot(RrType::MX)) == 1);
  CHECK(queries_of(metrics, QueryProtocol::Tcp, type_slot(RrType::A)) == 1);
  CHECK(responses_of(metrics, QueryProtocol::Udp, Rcode::NoError) == 3);
  CHECK(responses_of(metrics, QueryProtocol::Tcp, Rcode::NoError) == 1);
  CHECK(answers_from(metrics, AnswerSource::Local) == 4);

  // A miss: the parent's answer, then the cache's.
  worker.respond(dns_query("far.test"));
  CHECK(answers_from(metrics, AnswerSource::Parent) == 0);  // counted when it goes out
  worker.parent.answer(0, "198.51.100.7");
  CHECK(answers_from(metrics, AnswerSource::Parent) == 1);
  worker.respond(dns_query("far.test"));
  CHECK(answers_from(metrics, AnswerSource::Cache) == 1);
  CHECK(queries_of(metrics, QueryProtocol::Udp, type_slot(RrType::A)) == 3);
}

TEST_CASE("a stale answer given when the parent fails is counted as stale",
          "[responder][metrics]") {
  Worker worker(true);
  worker.respond(dns_query("far.test"));
  worker.parent.answer(0, "198.51.100.7", 10);
  worker.clock.advance(20s);  // expired, still within max-stale
  CHECK(worker.respond(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent.questions.size() == 2);
  worker.parent.fail(1);
  REQUIRE(worker.channel.sent.size() == 2);
  CHECK(answers_from(worker.metrics, AnswerSource::Stale) == 1);
  CHECK(answers_from(worker.metrics, AnswerSource::Parent) == 1);
}

TEST_CASE("text queries, refusals, garbage and rate-limited clients have counters of their own",
          "[responder][metrics]") {
  std::string bad;
  auto access = resolver::server::AccessList::parse({"192.168.0.0/16"}, bad);
  REQUIRE(access);
  resolver::server::RateLimiter limiter(3);
  Worker worker(false, {&*access, &limiter});
  worker.respond(text_query("host.test"));
  worker.respond(text_query("bad..name"));
  worker.respond(Bytes{0x12, 0x34, 0x00});
  worker.respond(dns_query("host.test"), true,
                 Endpoint{boost::asio::ip::make_address("10.0.0.1"), 53});  // outside the list
  worker.respond(dns_query("host.test"));  // the client's fourth in a second: over the limit
  const auto& metrics = worker.metrics;
  CHECK(queries_of(metrics, QueryProtocol::Text, resolver::server::kTextTypeSlot) == 2);
  CHECK(responses_of(metrics, QueryProtocol::Text, Rcode::NoError) == 1);
  CHECK(responses_of(metrics, QueryProtocol::Text, Rcode::FormErr) == 1);
  CHECK(metrics.malformed[static_cast<std::size_t>(QueryProtocol::Text)].value() == 1);
  CHECK(metrics.malformed[static_cast<std::size_t>(QueryProtocol::Udp)].value() == 1);
  CHECK(metrics.refused.value() == 1);
  CHECK(responses_of(metrics, QueryProtocol::Udp, Rcode::Refused) == 1);
  CHECK(metrics.rate_limited.value() == 1);
  CHECK(answers_from(metrics, AnswerSource::Local) == 1);
  CHECK(answers_from(metrics, AnswerSource::None) == 2);
}

namespace {

const Endpoint kBalancer{boost::asio::ip::make_address("127.0.0.1"), 41000};
const Endpoint kRelayedClient{boost::asio::ip::make_address("10.9.8.7"), 5353};

Bytes proxied(const Bytes& request, const Endpoint& client = kRelayedClient) {
  auto bytes = resolver::net::encode_proxy_header(
      client, Endpoint{boost::asio::ip::make_address("127.0.0.1"), 53}, false);
  bytes.insert(bytes.end(), request.begin(), request.end());
  return bytes;
}

std::optional<resolver::server::AccessList> cidrs(std::vector<std::string> entries) {
  std::string bad;
  return resolver::server::AccessList::parse(entries, bad);
}

}  // namespace

TEST_CASE("a trusted balancer's PROXY header names the client the rules see",
          "[responder][proxy]") {
  auto balancers = cidrs({"127.0.0.0/8"});
  auto access = cidrs({"10.0.0.0/8"});  // the balancer itself is not allowed to ask
  Worker worker(false, {&*access, nullptr, &*balancers});
  auto bytes = proxied(dns_query("host.test"));
  auto envelope = worker.responder.open_envelope(bytes, kBalancer, Responder::Transport::Udp);
  REQUIRE(envelope.verdict == Responder::Envelope::Verdict::Proxied);
  CHECK(envelope.client == kRelayedClient);
  CHECK(envelope.header_size == 28);
  Bytes request(bytes.begin() + 28, bytes.end());
  REQUIRE(worker.respond(request, true, envelope.client).outcome == Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, "host.test").answer.rcode == Rcode::NoError);

  // Another client named by the same balancer is outside the access list.
  auto outside =
      proxied(dns_query("host.test"), Endpoint{boost::asio::ip::make_address("192.0.2.9"), 1});
  envelope = worker.responder.open_envelope(outside, kBalancer, Responder::Transport::Udp);
  REQUIRE(envelope.verdict == Responder::Envelope::Verdict::Proxied);
  REQUIRE(worker.respond(dns_query("host.test"), true, envelope.client).outcome ==
          Responder::Outcome::Reply);
  CHECK(read_reply(worker.reply, "host.test").answer.rcode == Rcode::Refused);
  CHECK(worker.metrics.proxy.accepted.value() == 2);
}

TEST_CASE("PROXY headers from others, malformed ones, and a balancer's bare requests are dropped",
          "[responder][proxy]") {
  auto balancers = cidrs({"127.0.0.1"});
  Worker worker(false, {nullptr, nullptr, &*balancers});
  using Verdict = Responder::Envelope::Verdict;
  auto open = [&](const Bytes& bytes, const Endpoint& peer,
                  Responder::Transport transport = Responder::Transport::Udp) {
    return worker.responder.open_envelope(bytes, peer, transport).verdict;
  };
  auto query = dns_query("host.test");
  CHECK(open(proxied(query), kClient) == Verdict::Drop);  // 192.168.1.10 is no balancer
  CHECK(open(query, kClient) == Verdict::Plain);          // nor needs to be
  CHECK(open(query, kBalancer) == Verdict::Drop);         // a balancer must use a header
  auto broken = proxied(query);
  broken[12] = 0x11;  // version 1
  CHECK(open(broken, kBalancer) == Verdict::Drop);
  auto cut = proxied(query);
  cut.resize(20);  // a datagram ends where it ends
  CHECK(open(cut, kBalancer) == Verdict::Drop);
  // A stream's header may arrive in pieces.
  CHECK(open(cut, kBalancer, Responder::Transport::Tcp) == Verdict::NeedMore);
  CHECK(open(Bytes{0x0D, 0x0A}, kClient, Responder::Transport::Tcp) == Verdict::NeedMore);
  CHECK(open(Bytes{0x00, 0x1D}, kClient, Responder::Transport::Tcp) == Verdict::Plain);
  CHECK(open(proxied(query), kBalancer, Responder::Transport::Tcp) == Verdict::Proxied);
  const auto& proxy = worker.metrics.proxy;
  CHECK(proxy.untrusted.value() == 1);
  CHECK(proxy.missing.value() == 1);
  CHECK(proxy.malformed.value() == 2);
  CHECK(proxy.accepted.value() == 1);
}

TEST_CASE("a relayed query's pending reply goes back to the balancer", "[responder][proxy]") {
  Worker worker(true);
  auto bytes = dns_query("away.test");
  Responder::Request request{
      bytes, kRelayedClient, worker.clock.now(), nullptr, Responder::Transport::Udp, &kBalancer};
  REQUIRE(worker.responder.respond(request, worker.out, worker.channel).outcome ==
          Responder::Outcome::Pending);
  REQUIRE(worker.channel.sent_to.size() == 1);
  CHECK(worker.channel.sent_to[0] == kBalancer);
}

namespace {

// A worker's UDP reader thread: a Responder of its own, whose forwarders run on the worker's
// io_context (ResponderParts::loop), counting into metrics of its own.
struct Reader {
  explicit Reader(Worker& worker, resolver::server::ClientPolicy policy = {})
      : worker(worker),
        responder(resolver::server::ResponderParts{worker.handler,
                                                   {{&worker.forwarder, &worker.parents}},
                                                   policy,
                                                   resolver::server::QueryLogFormat::Off,
                                                   &metrics,
                                                   &worker.clock,
                                                   &worker.loop}) {}

  Responder::Response respond(const Bytes& bytes) {
    Responder::Prepared ahead;
    responder.prepare(bytes, ahead);
    auto response = responder.respond({bytes, kClient, worker.clock.now(), &ahead}, out, channel);
    reply.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(response.size));
    return response;
  }

  // What the loop does with a request handed off: its own Responder answers it.
  Responder::Response hand_to_loop(const Bytes& bytes, bool plain_miss = false) {
    Responder::Request request{bytes, kClient, worker.clock.now()};
    request.admitted = true;
    request.plain_miss = plain_miss;
    return worker.responder.respond(request, worker.out, worker.channel);
  }

  Worker& worker;
  resolver::server::WorkerMetrics metrics;
  Responder responder;
  Channel channel;
  std::array<std::uint8_t, Responder::kMaxTcpReply> out{};
  Bytes reply;
};

}  // namespace

TEST_CASE("a reader's Responder answers local data and the cache, and hands off a miss uncounted",
          "[responder][reader]") {
  Worker worker(true);
  Reader reader(worker);
  REQUIRE(reader.respond(dns_query("host.test")).outcome == Responder::Outcome::Reply);
  CHECK(addresses(read_reply(reader.reply, "host.test").answer) ==
        std::vector<std::string>{"192.0.2.1"});

  // A miss: nothing asked, sent or counted by the reader; the loop's Responder forwards it.
  CHECK(reader.respond(dns_query("far.test")).outcome == Responder::Outcome::HandOff);
  CHECK(reader.respond(text_query("far.test")).outcome == Responder::Outcome::HandOff);
  CHECK(worker.parent.questions.empty());
  CHECK(reader.channel.sent_to.empty());
  CHECK(queries_of(reader.metrics, QueryProtocol::Udp, resolver::server::type_slot(RrType::A)) ==
        1);
  CHECK(queries_of(reader.metrics, QueryProtocol::Text, resolver::server::kTextTypeSlot) == 0);
  CHECK(answers_from(reader.metrics, AnswerSource::Local) == 1);

  CHECK(reader.hand_to_loop(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  REQUIRE(worker.parent.questions.size() == 1);
  worker.parent.answer(0, "198.51.100.7");
  REQUIRE(worker.channel.sent.size() == 1);
  CHECK(answers_from(worker.metrics, AnswerSource::Parent) == 1);

  // Now cached: the reader answers it itself.
  REQUIRE(reader.respond(dns_query("far.test")).outcome == Responder::Outcome::Reply);
  CHECK(addresses(read_reply(reader.reply, "far.test").answer) ==
        std::vector<std::string>{"198.51.100.7"});
  CHECK(answers_from(reader.metrics, AnswerSource::Cache) == 1);
  CHECK(worker.parent.questions.size() == 1);
}

TEST_CASE("a request handed off by a reader is not charged to the rate limit again",
          "[responder][reader]") {
  resolver::server::RateLimiter limiter(1);
  Worker worker(true, {nullptr, &limiter});
  Reader reader(worker, {nullptr, &limiter});
  REQUIRE(reader.respond(dns_query("far.test")).outcome == Responder::Outcome::HandOff);
  // The client's one query of this second was admitted by the reader.
  CHECK(reader.hand_to_loop(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  CHECK(worker.parent.questions.size() == 1);
  CHECK(reader.respond(dns_query("far.test")).outcome == Responder::Outcome::Drop);
}

TEST_CASE("a reader's prefetch runs on the loop's forwarder", "[responder][reader]") {
  Worker worker(true);
  Reader reader(worker);
  REQUIRE(reader.hand_to_loop(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  worker.parent.answer(0, "198.51.100.7", 100);
  worker.clock.advance(95s);  // in the entry's last tenth: a prefetch is due
  REQUIRE(reader.respond(dns_query("far.test")).outcome == Responder::Outcome::Reply);
  CHECK(worker.parent.questions.size() == 1);  // posted, not asked from the reader's thread
  CHECK(worker.loop.poll() == 1);
  CHECK(worker.parent.questions.size() == 2);
}

TEST_CASE("a plain miss handed off is forwarded as it is, and the cache still wins meanwhile",
          "[responder][reader]") {
  Worker worker(true);
  Reader reader(worker);
  auto handed = reader.respond(dns_query("far.test"));
  REQUIRE(handed.outcome == Responder::Outcome::HandOff);
  CHECK(handed.plain_miss);
  CHECK_FALSE(reader.respond(text_query("far.test")).plain_miss);  // text: two questions
  // The same question answered by another client's query before the loop takes this one: the
  // Forwarder finds it in the cache, nothing more goes upstream.
  REQUIRE(reader.hand_to_loop(dns_query("far.test")).outcome == Responder::Outcome::Pending);
  worker.parent.answer(0, "198.51.100.7");
  CHECK(reader.hand_to_loop(dns_query("far.test"), true).outcome == Responder::Outcome::Pending);
  CHECK(worker.parent.questions.size() == 1);
  REQUIRE(worker.channel.sent.size() == 2);
  CHECK(addresses(read_reply(worker.channel.sent[1], "far.test").answer) ==
        std::vector<std::string>{"198.51.100.7"});
  CHECK(answers_from(worker.metrics, AnswerSource::Cache) == 1);
}

// Responder: one request's way from bytes to reply, without any I/O.
//
// A transport hands it the bytes of one request, who sent them and the time; it says drop,
// reply (the reply is in the caller's buffer) or pending (the reply will go out through the
// transport's ReplyChannel once a parent has answered). Every request rule lives here, in this
// order, for every protocol and transport:
//
//   0. envelope (open_envelope, called by the transport before the rest): a PROXY v2 header
//      from a trusted load balancer names the client every later step sees; the reply still
//      goes back to the balancer. A header from anyone else, a malformed one, or a trusted
//      balancer's request without one, is dropped;
//   1. rate limit: clients over it are dropped before any parsing (a reply would feed
//      reflection attacks);
//   2. parse: the protocol is told by the bytes (a NUL byte means DNS, none the text
//      protocol); a malformed DNS query gets FORMERR or is dropped, a bad text line FORMERR;
//   3. access list: REFUSED for clients outside it, once their question is read (the order of
//      hickory-dns's request checks);
//   4. loop probe: a query for one of our own loop probes means a parent sends our queries
//      back to us: that parent is dropped (see ParentSet) and the probe gets SERVFAIL;
//   5. local data, 6. the cache, 7. the parents (QueryHandler's order, then the Forwarder of
//      the name's route: split DNS gives each forward domain its own parents). A local CNAME
//      whose target must be forwarded (FollowTarget) asks the target of the target's route and
//      answers the chain followed by the parents' answer.
//
// The hit path is step 5 for a plain query (dns::PlainQuery): prepare() reads it and asks for
// its name's table slot ahead of time, so that a transport reading a batch overlaps the
// batch's memory misses; respond() then answers it without allocating. Steps 1-4 are the same
// code for it as for every other request, so the two paths cannot drift.
//
// One Responder per thread: it keeps its thread's reference to the local records. The
// worker's loop thread runs the Forwarders, and its Responder delivers pending replies there.
// A worker's UDP reader thread (UdpServer's blocking wait) has a Responder of its own, which
// answers everything that needs no parent and hands the rest to the loop's (Outcome::HandOff).
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "resolver/dns/name.hpp"
#include "resolver/dns/plain_query.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/records/local_records.hpp"
#include "resolver/server/access_list.hpp"
#include "resolver/server/clock.hpp"
#include "resolver/server/forwarder.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/parent_set.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/query_log.hpp"
#include "resolver/server/rate_limiter.hpp"

namespace resolver::server {

// Who may ask, and how often: shared by every worker.
struct ClientPolicy {
  const AccessList* access = nullptr;   // null: everyone
  RateLimiter* rate_limiter = nullptr;  // null: no limit
  // --proxy-from: the load balancers whose PROXY v2 headers are believed (open_envelope);
  // null: nobody's.
  const AccessList* proxies = nullptr;
};

// The parents of one route (QueryHandler::route_of: 0 the default parents, i + 1 the i-th
// forward domain's) and this worker's Forwarder to them. A route without parents (a root's
// route 0) is one the handler answers itself.
struct ResponderRoute {
  Forwarder* forwarder = nullptr;
  ParentSet* parents = nullptr;
};

// What a responder answers from. `routes` is indexed by route; routes past its end have no
// parents, so a root without forwards may give none.
struct ResponderParts {
  const QueryHandler& handler;
  std::vector<ResponderRoute> routes;
  ClientPolicy policy;
  QueryLogFormat log_queries = QueryLogFormat::Off;
  // This worker's counters; null: nothing is counted (tests that do not look).
  WorkerMetrics* metrics = nullptr;
  // What the query log's latencies are measured on, like Request::now; null: system_clock().
  const Clock* clock = nullptr;
  // Set for a reader thread's Responder: the io_context the routes' forwarders run on. A
  // request that needs the parents then comes back as HandOff, to be answered on that loop,
  // and a prefetch is posted there. Null: the forwarders run on this Responder's thread.
  boost::asio::io_context* loop = nullptr;
};

// How a reply that comes after respond() returned reaches its client.
class ReplyChannel {
 public:
  using Send = std::function<void(std::span<const std::uint8_t> reply)>;
  virtual ~ReplyChannel() = default;
  // Called once per pending request, before respond() returns; the Send it gives runs on the
  // worker's thread, at most once, with the reply's bytes (valid during the call only).
  virtual Send deferred(const boost::asio::ip::udp::endpoint& client) = 0;
};

class Responder {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  static constexpr std::size_t kMaxTcpReply = 65535;

  // A request read ahead: its plain query, if it is one, and its name's slot in the records.
  struct Prepared {
    std::optional<dns::PlainQuery> query;
    std::array<std::uint8_t, dns::DnsName::kMaxWireLength> name_buffer;
    std::span<const std::uint8_t> name;  // lower-cased, in name_buffer
    const records::LocalRecords* local = nullptr;
    records::LocalRecords::Location location;
  };

  // The text protocol is UDP only; a DNS reply over TCP is not cut to the client's UDP size.
  enum class Transport { Udp, Tcp };

  struct Request {
    std::span<const std::uint8_t> bytes;  // after any PROXY header
    Endpoint client;  // a TCP client's address and port, likewise; the PROXY header's source
    TimePoint now;
    // From prepare() on the same bytes, or null: then respond() reads them itself.
    const Prepared* prepared = nullptr;
    Transport transport = Transport::Udp;
    // The load balancer that relayed the request (PROXY protocol), where replies go; null:
    // the client itself.
    const Endpoint* peer = nullptr;
    // The rate limit has already let it through: a request handed off by a reader thread.
    bool admitted = false;
    // Handed off as a plain miss (Response::plain_miss): forwarded without looking in the
    // local data and the cache again (the Forwarder looks once more after joining the
    // question in flight, as for any miss).
    bool plain_miss = false;
    const Endpoint& reply_to() const { return peer != nullptr ? *peer : client; }
  };

  // What comes before the request proper: nothing, or a PROXY v2 header (net/proxy_header.hpp).
  struct Envelope {
    enum class Verdict { Plain, Proxied, NeedMore, Drop };
    Verdict verdict = Verdict::Drop;
    std::size_t header_size = 0;  // the bytes to skip before the request, when Proxied
    Endpoint client;              // who asks: the header's source, else the peer
  };

  // HandOff: only from a reader thread's Responder (ResponderParts::loop): nothing was counted
  // or sent; the request must be answered by the loop's Responder, with Request::admitted.
  enum class Outcome { Drop, Reply, Pending, HandOff };
  struct Response {
    Outcome outcome = Outcome::Drop;
    std::size_t size = 0;  // of the reply in `out`, when Reply
    // HandOff of a DNS question that goes to the parents as it is (no local CNAME before it):
    // the loop may take it with Request::plain_miss.
    bool plain_miss = false;
  };

  explicit Responder(ResponderParts parts);
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Reads `bytes` as a plain query and starts fetching its name's slot; cheap, no allocation.
  // The records it points into stay valid until the next refresh_records() on this thread.
  void prepare(std::span<const std::uint8_t> bytes, Prepared& prepared);
  // Reads the envelope of `bytes` from `peer`: a datagram, or the start of a TCP stream
  // (NeedMore only then: a header not yet whole). Drops are counted and logged at debug level.
  Envelope open_envelope(std::span<const std::uint8_t> bytes, const Endpoint& peer,
                         Transport transport);
  // Never throws: a request that cannot be handled is logged and dropped. `out` must hold a
  // DNS reply: dns::kEdnsUdpSize bytes over UDP, kMaxTcpReply over TCP.
  Response respond(const Request& request, std::span<std::uint8_t> out, ReplyChannel& channel);

  // Takes up a reload now rather than at the next query, so an idle worker lets go of the old
  // records. True when it took a newer set.
  bool refresh_records() {
    auto before = records_version_;
    local_records();
    return records_version_ != before;
  }

 private:
  Response respond_dns(const Request& request, bool allowed, std::span<std::uint8_t> out,
                       ReplyChannel& channel);
  Response respond_text(const Request& request, bool allowed, std::span<std::uint8_t> out,
                        ReplyChannel& channel);
  // The hit path; nullopt when the general path must answer.
  std::optional<Response> answer_plain(const Request& request, std::span<std::uint8_t> out);
  // What a resolution leaves to the parents: the question to ask, its route's forwarder, and
  // for FollowTarget the local chain that goes before their answer.
  struct Onward {
    dns::Question question;
    Forwarder* forwarder = nullptr;
    std::optional<dns::Answer> chain;
  };
  // Null when `answer` stands as it is (Answered, AnsweredRefresh).
  std::optional<Onward> onward(const dns::Question& question, Resolution resolution,
                               const dns::Answer& answer) const;
  // Asks the parents; `reply` gets their answer, after the chain when there is one.
  static void forward(Onward onward, Forwarder::Reply reply);
  // The forwarder of `name`'s route; null when the route has no parents.
  Forwarder* forwarder_of(const dns::DnsName& name) const;
  // Starts a background refresh of a cache entry near its end, on its name's route.
  void refresh(const dns::Question& question) const;
  // True when `lowercase_wire` names our own loop probe: a parent forwards to us.
  bool is_own_probe(std::span<const std::uint8_t> lowercase_wire, const Endpoint& client);
  const records::LocalRecords& local_records();
  dns::ResponseFlags flags(const Request& request) const;

  // What one reply said, for the counters and the query log. `type` is unset for a text query
  // (both addresses) and for a query whose question could not be read.
  struct Served {
    QueryProtocol protocol = QueryProtocol::Udp;
    std::optional<dns::RrType> type;
    dns::Rcode rcode = dns::Rcode::NoError;
    AnswerSource source = AnswerSource::None;
    std::size_t answers = 0;
  };
  void count(const Served& served);
  void count_malformed(QueryProtocol protocol);
  bool logging() const { return parts_.log_queries != QueryLogFormat::Off; }
  void log(const Served& served, const Endpoint& client, TimePoint received, std::string name,
           std::string_view text_reply = {}) const;

  ResponderParts parts_;
  const Clock& clock_;
  bool recursion_available_ = false;  // some route has parents: RA in every reply
  // This worker's reference to the local records, renewed when the handler's version moves.
  std::shared_ptr<const records::LocalRecords> records_;
  std::uint64_t records_version_ = 0;
  std::array<std::uint8_t, kMaxTcpReply> later_{};  // where pending replies are encoded
};

}  // namespace resolver::server

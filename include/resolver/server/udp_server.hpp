// UdpServer: one worker's receive loop on one UDP socket.
//
// The socket is read in batches: recvmmsg(MSG_DONTWAIT) until it is empty, then one Asio
// readiness wait (Asio's epoll registration is edge-triggered, so waiting before the socket is
// drained could sleep through queued queries); the replies of a batch leave in one sendmmsg.
// After kBatchesPerTurn full batches the loop yields to the io_context so timers and parent
// replies run. A plain query for a local name is answered on the hit path: no allocation, the
// reply copied into its batch slot (dns::PlainQuery); everything else takes the general path.
//
// Every datagram is classified by its bytes (a NUL byte means DNS, none means the text
// protocol), decoded, resolved through the QueryHandler (and the Forwarder on a miss), encoded
// in the protocol it came in, and sent back. Each datagram is handled inside its own try/catch:
// no input can stop the loop. Clients over the rate limit are dropped before any parsing (a
// reply would feed reflection attacks); clients outside the access list get REFUSED once their
// question is read (the order of hickory-dns's request checks). A query for one of our own loop
// probes means a parent sends our queries back to us: that parent is dropped (see ParentSet) and
// the probe gets SERVFAIL.
#pragma once

#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>
#include <span>

#include "resolver/dns/query_parser.hpp"
#include "resolver/server/access_list.hpp"
#include "resolver/server/clock.hpp"
#include "resolver/server/forwarder.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/rate_limiter.hpp"

namespace resolver::server {

// Who may ask, and how often: shared by every worker.
struct ClientPolicy {
  const AccessList* access = nullptr;   // null: everyone
  RateLimiter* rate_limiter = nullptr;  // null: no limit
};

class UdpServer {
 public:
  // `forwarder` and `parents` are null for a root (no parent).
  UdpServer(boost::asio::ip::udp::socket socket, const QueryHandler& handler, Forwarder* forwarder,
            ParentSet* parents, ClientPolicy policy, bool log_queries, const Clock& clock);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  void start();
  // Takes up a reload now rather than at the next query, so an idle worker lets go of the old
  // records. Runs on the worker's thread.
  void refresh_records();
  boost::asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

 private:
  using Endpoint = boost::asio::ip::udp::endpoint;

  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kBatchesPerTurn = 8;
  // Only a datagram's first kDatagramSlot bytes are read: no query we answer comes near it.
  static constexpr std::size_t kDatagramSlot = 4096;
  static constexpr std::size_t kReplySlot = 2048;  // every DNS reply: at most 1232 bytes

  struct Batch;  // the recvmmsg/sendmmsg vectors and their buffers

  void wait_readable();
  void drain();
  void flush();
  void send_slot_now(std::size_t slot);  // one reply of the batch, waiting for room
  // A datagram of the batch read as a plain query, its local name's table slot already
  // requested from memory (see LocalRecords::locate).
  struct PlainCandidate;

  void serve(std::span<const std::uint8_t> datagram, const Endpoint& client,
             const PlainCandidate* plain);
  // The hit path; false when the general path must answer.
  bool answer_plain(const PlainCandidate& plain, const Endpoint& client);
  const records::LocalRecords& local_records();
  // Where the next reply should be written: the next free slot of the batch being sent.
  std::span<std::uint8_t> reply_buffer();
  void serve_dns(std::span<const std::uint8_t> datagram, const Endpoint& client);
  void serve_text(std::span<const std::uint8_t> datagram, const Endpoint& client);
  void reply_dns(const dns::Query& query, const dns::Answer& answer, const Endpoint& client);
  void send(std::span<const std::uint8_t> reply, const Endpoint& client);
  // True when `name` is our own loop probe coming back: a parent forwards to us.
  bool is_own_probe(const dns::DnsName& name, const Endpoint& client);
  // Resolves now when possible, else after the parent answers; `then` runs exactly once.
  template <typename Then>
  void resolve(const dns::Question& question, bool recursion_desired, Then then);

  boost::asio::ip::udp::socket socket_;
  const QueryHandler& handler_;
  Forwarder* forwarder_;
  ParentSet* parents_;
  ClientPolicy policy_;
  bool log_queries_;
  const Clock& clock_;
  std::unique_ptr<Batch> batch_;
  bool in_batch_ = false;  // replies go into the batch, sent by flush()
  // This worker's reference to the local records, renewed when the handler's version moves.
  std::shared_ptr<const records::LocalRecords> records_;
  std::uint64_t records_version_ = 0;
  std::array<std::uint8_t, 4096> out_{};  // replies sent outside a batch (parent answers)
};

}  // namespace resolver::server

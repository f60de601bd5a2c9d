// Integration harness: the real `resolver` binary and real peers over real sockets.
//
// Readiness is always observed, never assumed: a server is ready when its log says
// `listening on ADDR:PORT`, a peer when it answers a query.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resolver/dns/message.hpp"
#include "stream_peer.hpp"

namespace harness {

// A socket address as bytes (sockaddr_storage without the socket headers).
using sockaddr_storage_bytes = std::vector<std::uint8_t>;

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

std::string binary();  // path of the built resolver executable
std::string source_dir();

// A file in a fresh temporary directory, removed with the process's other temp files.
std::string write_temp_file(const std::string& name, const std::string& content);
std::string temp_dir();

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv to completion (killed after `timeout`), feeding `input` on stdin.
CommandResult run(const std::vector<std::string>& argv, const std::string& input = "",
                  std::chrono::milliseconds timeout = 20s);

bool have_program(const std::string& name);

// dig @127.0.0.1 -p PORT +time=2 +tries=1 ARGS...; throws (failing the test) when dig is
// missing: bind9-dnsutils is installed by ./dev.sh test.
CommandResult dig(std::uint16_t port, const std::vector<std::string>& args);

// The lines of `text` in sorted order: answers with several records are rotated (round robin).
std::vector<std::string> sorted_lines(const std::string& text);

// A child process whose stderr is collected in the background.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits until the log contains `needle`; returns false on timeout or process exit.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = 10s);
  // Waits until `needle` occurs at least `times` times in the log.
  bool wait_for_count(const std::string& needle, std::size_t times,
                      std::chrono::milliseconds timeout = 10s);
  std::string log() const;
  // Sends `signal` and waits for the exit; returns the exit status (128+N if killed by N).
  int stop(int signal = 15, std::chrono::milliseconds timeout = 10s);
  bool running();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int exit_status_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string log_;
};

// `resolver server 0 PARENT_IP PARENT_PORT RECORDS extra...`, started and waited for.
class ResolverServer {
 public:
  // `port` 0 lets the server pick a free port and reads it from the log.
  ResolverServer(const std::string& records_file, std::optional<std::uint16_t> parent_port,
                 std::vector<std::string> extra = {}, std::uint16_t port = 0);
  std::uint16_t port() const { return port_; }
  Process& process() { return *process_; }
  int stop(int signal = 15) { return process_->stop(signal); }

 private:
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0;
};

// The header of a DNS message (which must be at least 12 bytes).
resolver::dns::Header header_of(const Bytes& message);
// The addresses of a reply to an A query for `name`; empty when there is none or it failed.
std::vector<std::string> addresses_in(const std::optional<Bytes>& reply, const std::string& name);
// The Extended DNS Error info code in a reply's OPT record, if any (RFC 8914).
std::optional<std::uint16_t> extended_error_of(const Bytes& reply);

// One UDP exchange with 127.0.0.1:port; nullopt when nothing came back in time.
std::optional<Bytes> udp_exchange(std::uint16_t port, const Bytes& request,
                                  std::chrono::milliseconds timeout = 3s);
std::optional<std::string> text_query(std::uint16_t port, const std::string& datagram,
                                      std::chrono::milliseconds timeout = 3s);
Bytes to_bytes(const std::string& text);

// A DNS query for `name`/`type`; `edns` adds an OPT with the given UDP size.
Bytes dns_query(const std::string& name, resolver::dns::RrType type, std::uint16_t id = 0x1234,
                bool recursion_desired = true, std::optional<std::uint16_t> edns = std::nullopt);

// A port that was free for UDP and TCP a moment ago (for peers that cannot bind port 0 and
// report it), picked at random below the kernel's ephemeral range.
std::uint16_t free_udp_port();

enum class Transport { Udp, Tcp };

// A scripted parent: for each query, `respond` returns the messages to send back (none:
// silence). Counts the queries it saw, except resolvers' loop probes. UDP only, unless made
// with a TcpPort: then the same port number on TCP is served (each message framed, every
// connection at once) or refuses every connection, and `respond` is told how each query came
// (it may then be called from two threads at once).
class FakeParent {
 public:
  using Respond = std::function<std::vector<Bytes>(const Bytes& query)>;
  using RespondOver = std::function<std::vector<Bytes>(const Bytes& query, Transport transport)>;
  enum class TcpPort { Served, Refused };

  explicit FakeParent(Respond respond);
  FakeParent(RespondOver respond, TcpPort tcp);
  ~FakeParent();
  std::uint16_t port() const { return port_; }
  int queries() const { return udp_queries_.load() + tcp_queries_.load(); }
  int udp_queries() const { return udp_queries_.load(); }
  int tcp_queries() const { return tcp_queries_.load(); }
  // The loop probes that came over `transport` (never answered, never counted as queries).
  int probes(Transport transport) const {
    return (transport == Transport::Udp ? udp_probes_ : tcp_probes_).load();
  }
  // Sends `datagram` to the last client from a different socket (a spoofer's port).
  int fd() const { return fd_; }

 private:
  void serve_udp();

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::atomic<int> udp_probes_{0};
  std::atomic<int> tcp_probes_{0};
  std::atomic<bool> stopping_{false};
  RespondOver respond_;
  std::thread thread_;
  int refusing_fd_ = -1;  // TcpPort::Refused: bound, never listening
  std::unique_ptr<StreamPeer> stream_;
};

// `query`'s reply with TC set and no records: what a server sends when the answer does not fit
// a datagram.
Bytes truncated_reply(const Bytes& query);

// A reply to `query` (which must be a valid DNS query) with the given answers and rcode.
Bytes dns_reply(const Bytes& query, const std::vector<resolver::dns::ResourceRecord>& answers,
                resolver::dns::Rcode rcode = resolver::dns::Rcode::NoError,
                const std::vector<resolver::dns::ResourceRecord>& authority = {});
// The same over TCP, where no UDP size limits it (RFC 7766 8).
Bytes dns_stream_reply(const Bytes& query,
                       const std::vector<resolver::dns::ResourceRecord>& answers);
// A parent that holds every query until the test releases it: what is in flight is then known
// exactly, with no timing involved. Loop probes are ignored.
class HoldingParent {
 public:
  HoldingParent();
  ~HoldingParent();
  std::uint16_t port() const { return port_; }
  int queries() const;
  // Waits until at least `count` queries are held.
  bool wait_for_queries(int count, std::chrono::milliseconds timeout = 10s);
  // Answers every query held so far with `respond(query)`; later queries are held again.
  void release(const std::function<Bytes(const Bytes& query)>& respond);

 private:
  struct Held {
    Bytes query;
    sockaddr_storage_bytes client;
  };
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Held> held_;
  int total_ = 0;
  std::thread thread_;
};

// One client socket connected to 127.0.0.1:port, for tests that need several exchanges from
// the same source address and port (the kernel keeps them on one server worker).
class UdpClient {
 public:
  explicit UdpClient(std::uint16_t port);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;
  void send(const Bytes& datagram);
  // The next datagram whose DNS ID is `id` (others are skipped), or nullopt after `timeout`.
  std::optional<Bytes> receive(std::uint16_t id, std::chrono::milliseconds timeout = 3s);

 private:
  int fd_ = -1;
};

resolver::dns::ResourceRecord a_record(const std::string& name, const std::string& address,
                                       std::uint32_t ttl);

// Polls an observable condition until it holds: calls `condition` at most once per `step`
// (a pause only when the call itself took less) until it returns true or `timeout` has passed.
// Returns whether it held. For waits where real time must pass on the server's clock (a TTL
// running out, a rate limiter's tokens coming back): the test goes on the moment the condition
// holds instead of sleeping a fixed time. `step` paces the polls so that a condition that asks
// the server does not flood it; a condition that itself waits (an exchange with a timeout) may
// use a small step.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 50ms);

// The TTL of the first answer record of a DNS reply; nullopt when it has none or is not DNS.
std::optional<std::uint32_t> first_answer_ttl(const Bytes& reply);

}  // namespace harness

// The scripted parents of the integration tests: FakeParent (answers as the test says, over UDP
// and optionally TCP) and HoldingParent (holds every query until the test releases it), with
// the reply builders they use.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "harness.hpp"
#include "loopback.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"

namespace harness {
namespace {

// The forwarding-loop probes a resolver sends its parents (see ParentSet) are not queries a
// test asks for; the fake parent neither counts nor answers them.
bool is_loop_probe(const Bytes& query) {
  auto parse = resolver::dns::parse_query(query);
  return parse.query.has_question &&
         parse.query.question.name.is_subdomain_of(
             resolver::dns::DnsName::from_text("loop-probe.resolver.invalid"));
}

// A scripted peer's receive loop: every query on `fd` until `stopping`, loop probes left out
// (they are not queries a test sent, only counted in `probes` when given), handed over with the
// address it came from.
void receive_queries(int fd, const std::atomic<bool>& stopping,
                     const std::function<void(Bytes, const sockaddr*, socklen_t)>& on_query,
                     std::atomic<int>* probes = nullptr) {
  Bytes buffer(65536);
  while (!stopping) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 50) != 1) continue;
    sockaddr_storage client{};
    socklen_t length = sizeof client;
    ssize_t n = recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&client),
                         &length);
    if (n < 0) continue;
    Bytes query(buffer.begin(), buffer.begin() + n);
    if (is_loop_probe(query)) {
      if (probes) ++*probes;
      continue;
    }
    on_query(std::move(query), reinterpret_cast<const sockaddr*>(&client), length);
  }
}

}  // namespace

FakeParent::FakeParent(Respond respond)
    : respond_([respond = std::move(respond)](const Bytes& query, Transport) {
        return respond(query);
      }) {
  fd_ = bind_loopback_udp(port_);
  serve_udp();
}

FakeParent::FakeParent(RespondOver respond, TcpPort tcp) : respond_(std::move(respond)) {
  int tcp_fd = -1;
  // The kernel picks a free UDP port; the same number may be taken on TCP, then another.
  for (int tries = 0; tcp_fd < 0; ++tries) {
    if (tries == 100) throw std::runtime_error("no port free on both UDP and TCP");
    fd_ = bind_loopback_udp(port_);
    tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(port_);
    if (bind(tcp_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(tcp_fd);
      close(fd_);
      tcp_fd = -1;
    }
  }
  if (tcp == TcpPort::Refused) {
    // Bound so that no one else can listen there: every connection is refused.
    refusing_fd_ = tcp_fd;
  } else {
    stream_ = std::make_unique<StreamPeer>(tcp_fd, [this](const Bytes& query) {
      if (is_loop_probe(query)) {
        ++tcp_probes_;
        return std::vector<Bytes>{};
      }
      ++tcp_queries_;
      return respond_(query, Transport::Tcp);
    });
  }
  serve_udp();
}

void FakeParent::serve_udp() {
  thread_ = std::thread([this] {
    receive_queries(
        fd_, stopping_,
        [this](Bytes query, const sockaddr* client, socklen_t length) {
          ++udp_queries_;
          for (const auto& reply : respond_(query, Transport::Udp)) {
            sendto(fd_, reply.data(), reply.size(), 0, client, length);
          }
        },
        &udp_probes_);
  });
}

FakeParent::~FakeParent() {
  stopping_ = true;
  thread_.join();
  stream_.reset();
  close(fd_);
  if (refusing_fd_ >= 0) close(refusing_fd_);
}

Bytes truncated_reply(const Bytes& query) {
  auto reply = dns_reply(query, {});
  reply[2] |= 0x02;  // TC
  return reply;
}

Bytes dns_reply(const Bytes& query, const std::vector<resolver::dns::ResourceRecord>& answers,
                resolver::dns::Rcode rcode,
                const std::vector<resolver::dns::ResourceRecord>& authority) {
  using namespace resolver::dns;
  auto parse = parse_query(query);
  Answer answer;
  answer.rcode = rcode;
  answer.answers = answers;
  answer.authority = authority;
  Bytes out(4096);
  out.resize(build_response(parse.query, answer, ResponseFlags{true}, out));
  return out;
}

Bytes dns_stream_reply(const Bytes& query,
                       const std::vector<resolver::dns::ResourceRecord>& answers) {
  using namespace resolver::dns;
  auto parse = parse_query(query);
  Answer answer;
  answer.answers = answers;
  ResponseFlags flags;
  flags.recursion_available = true;
  flags.over_tcp = true;
  Bytes out(65535);
  out.resize(build_response(parse.query, answer, flags, out));
  return out;
}

HoldingParent::HoldingParent() {
  fd_ = bind_loopback_udp(port_);
  thread_ = std::thread([this] {
    receive_queries(fd_, stopping_, [this](Bytes query, const sockaddr* client, socklen_t length) {
      auto* bytes = reinterpret_cast<const std::uint8_t*>(client);
      std::lock_guard lock(mutex_);
      held_.push_back({std::move(query), {bytes, bytes + length}});
      ++total_;
      arrived_.notify_all();
    });
  });
}

HoldingParent::~HoldingParent() {
  stopping_ = true;
  thread_.join();
  close(fd_);
}

int HoldingParent::queries() const {
  std::lock_guard lock(mutex_);
  return total_;
}

bool HoldingParent::wait_for_queries(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return total_ >= count; });
}

void HoldingParent::release(const std::function<Bytes(const Bytes& query)>& respond) {
  std::vector<Held> held;
  {
    std::lock_guard lock(mutex_);
    held.swap(held_);
  }
  for (const auto& entry : held) {
    auto reply = respond(entry.query);
    sendto(fd_, reply.data(), reply.size(), 0,
           reinterpret_cast<const sockaddr*>(entry.client.data()),
           static_cast<socklen_t>(entry.client.size()));
  }
}

}  // namespace harness

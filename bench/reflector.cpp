// reflector: the benchmark's ceiling. A UDP DNS "server" that does no lookup work.
//
//   reflector PORT [ADDRESS [WAIT]]   (default address 127.0.0.1; PORT 0 = any free port)
//
// One thread, one socket, recvmmsg/sendmmsg in batches of up to kBatch datagrams. WAIT says how
// it waits for queries, to measure what an event loop costs at one query per wakeup
// (bench/wait-floor):
//   recvmmsg     blocking in recvmmsg (the default: the ceiling)
//   epoll        epoll_wait on a level-triggered registration, then recvmmsg(MSG_DONTWAIT)
//   epoll-rearm  an edge-triggered registration re-armed with EPOLL_CTL_MOD before each
//                epoll_wait, as Boost.Asio's async_wait does
//   registered   blocking in recvmmsg, the socket also registered (edge-triggered, as Asio
//                registers every socket it opens) with an epoll that no one waits on
//
// Every datagram that looks like a DNS query (QR clear, one question, uncompressed name) is
// answered in place: the header and question are kept (so the ID, the question and the
// client's letter case come back as sent), QR/AA/RA are set, everything after the question is
// cut, one fixed A record whose owner is the pointer 0xC00C (the question name) is appended,
// and an OPT record is re-added when the query carried one (as dnsdist does). Anything else is
// dropped. The answer is the same for every name and type, so it also serves as a parent that
// answers every forwarded miss at once (bench/run, workload c).
//
// Logs "listening on ADDR:PORT" to stderr, like `resolver server`. SIGINT/SIGTERM end it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kBatch = 64;
constexpr std::size_t kBufferSize = 4096;
constexpr std::size_t kHeader = 12;
// Owner 0xC00C, type A, class IN, TTL 300, RDLENGTH 4, 192.0.2.1.
constexpr std::array<std::uint8_t, 16> kAnswer = {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                                  0x01, 0x2C, 0x00, 0x04, 192,  0,    2,    1};
// Root owner, type OPT, UDP payload 1232, no extended rcode, version 0, no flags, no options.
constexpr std::array<std::uint8_t, 11> kOpt = {0x00, 0x00, 0x29, 0x04, 0xD0, 0x00,
                                               0x00, 0x00, 0x00, 0x00, 0x00};

// Rewrites the query in `buffer` (of `size` bytes) into the reply; returns its size, 0 = drop.
std::size_t reflect(std::uint8_t* buffer, std::size_t size) {
  if (size < kHeader) return 0;
  if ((buffer[2] & 0x80) != 0) return 0;           // QR set: a response, not a query
  if (buffer[4] != 0 || buffer[5] != 1) return 0;  // QDCOUNT must be 1
  std::size_t at = kHeader;
  while (true) {  // the question name: plain labels only
    if (at >= size) return 0;
    std::uint8_t length = buffer[at];
    if (length == 0) break;
    if (length > 63) return 0;
    at += 1 + length;
  }
  at += 1 + 4;  // root label, QTYPE, QCLASS
  if (at > size) return 0;
  bool has_additional = buffer[10] != 0 || buffer[11] != 0;
  bool edns = has_additional && at + 3 <= size && buffer[at] == 0 && buffer[at + 1] == 0 &&
              buffer[at + 2] == 41;  // the first additional record is an OPT (type 41)
  if (at + kAnswer.size() + kOpt.size() > kBufferSize) return 0;
  buffer[2] = static_cast<std::uint8_t>(0x80 | (buffer[2] & 0x79) | 0x04);  // QR, opcode, AA, RD
  buffer[3] = 0x80;                                                         // RA, NOERROR
  buffer[6] = 0, buffer[7] = 1;                                             // ANCOUNT 1
  buffer[8] = 0, buffer[9] = 0;                                             // NSCOUNT 0
  buffer[10] = 0, buffer[11] = edns ? 1 : 0;                                // ARCOUNT
  std::memcpy(buffer + at, kAnswer.data(), kAnswer.size());
  at += kAnswer.size();
  if (edns) {
    std::memcpy(buffer + at, kOpt.data(), kOpt.size());
    at += kOpt.size();
  }
  return at;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s PORT [ADDRESS [recvmmsg|epoll|epoll-rearm|registered]]\n",
                 argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  const char* address = argc >= 3 ? argv[2] : "127.0.0.1";
  enum class Wait { Recvmmsg, Epoll, EpollRearm, Registered };
  Wait wait = Wait::Recvmmsg;
  if (argc == 4) {
    if (std::strcmp(argv[3], "epoll") == 0)
      wait = Wait::Epoll;
    else if (std::strcmp(argv[3], "epoll-rearm") == 0)
      wait = Wait::EpollRearm;
    else if (std::strcmp(argv[3], "registered") == 0)
      wait = Wait::Registered;
    else if (std::strcmp(argv[3], "recvmmsg") != 0) {
      std::fprintf(stderr, "reflector: %s: not a way to wait\n", argv[3]);
      return 2;
    }
  }
  sockaddr_in bind_to{};
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, address, &bind_to.sin_addr) != 1) {
    std::fprintf(stderr, "reflector: %s: not an IPv4 address\n", address);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to) != 0) {
    std::fprintf(stderr, "reflector: cannot listen on %s:%d: %s\n", address, port,
                 std::strerror(errno));
    return 1;
  }
  sockaddr_in bound{};
  socklen_t bound_size = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size);
  std::fprintf(stderr, "listening on %s:%d\n", address, ntohs(bound.sin_port));

  static std::array<std::array<std::uint8_t, kBufferSize>, kBatch> buffers;
  std::array<sockaddr_in, kBatch> peers{};
  std::array<iovec, kBatch> iovecs{};
  std::array<mmsghdr, kBatch> in{};
  std::array<mmsghdr, kBatch> out{};
  for (int i = 0; i < kBatch; ++i) {
    iovecs[i] = {buffers[i].data(), kBufferSize};
    in[i].msg_hdr.msg_iov = &iovecs[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
  }
  std::array<iovec, kBatch> replies{};
  int poller = -1;
  epoll_event registration{};
  if (wait != Wait::Recvmmsg) {
    poller = epoll_create1(EPOLL_CLOEXEC);
    registration.events = wait == Wait::Epoll ? EPOLLIN : EPOLLIN | EPOLLET;
    if (wait == Wait::Registered) registration.events |= EPOLLERR | EPOLLHUP | EPOLLPRI;
    registration.data.fd = fd;
    if (poller < 0 || epoll_ctl(poller, EPOLL_CTL_ADD, fd, &registration) != 0) {
      std::perror("reflector: epoll");
      return 1;
    }
  }
  while (true) {
    bool blocking = wait == Wait::Recvmmsg || wait == Wait::Registered;
    if (!blocking) {
      if (wait == Wait::EpollRearm) epoll_ctl(poller, EPOLL_CTL_MOD, fd, &registration);
      epoll_event ready{};
      if (epoll_wait(poller, &ready, 1, -1) < 0 && errno != EINTR) {
        std::perror("reflector: epoll_wait");
        return 1;
      }
    }
    for (int i = 0; i < kBatch; ++i) in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    int received =
        recvmmsg(fd, in.data(), kBatch, blocking ? MSG_WAITFORONE : MSG_DONTWAIT, nullptr);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      std::perror("reflector: recvmmsg");
      return 1;
    }
    int count = 0;
    for (int i = 0; i < received; ++i) {
      std::size_t size = reflect(buffers[i].data(), in[i].msg_len);
      if (size == 0) continue;
      replies[count] = {buffers[i].data(), size};
      out[count].msg_hdr = {};
      out[count].msg_hdr.msg_name = &peers[i];
      out[count].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
      out[count].msg_hdr.msg_iov = &replies[count];
      out[count].msg_hdr.msg_iovlen = 1;
      ++count;
    }
    for (int sent = 0; sent < count;) {
      int result = sendmmsg(fd, out.data() + sent, static_cast<unsigned>(count - sent), 0);
      if (result < 0) {
        if (errno == EINTR) continue;
        break;  // a full send buffer or an unreachable client: drop the rest of the batch
      }
      sent += result;
    }
  }
}

#include "resolver/server/udp_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>

#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

using net::endpoint_text;

// Interrupts a reader asleep in recvmmsg (wake_reader). The first real-time signal glibc
// leaves to programs; nothing else in the server uses it.
int wake_signal() {
  return SIGRTMIN;
}

// recvmmsg and sendmmsg without glibc's wrappers. Those are cancellation points: in a process
// with threads each call switches the thread's cancellation type on and off (glibc 2.36, as
// in Debian 12), two atomic read-modify-writes, twice per query when queries come one at a time.
// The server never cancels a thread, so the bookkeeping buys nothing.
int receive_messages(int socket, mmsghdr* messages, std::size_t count, int flags) {
  return static_cast<int>(
      ::syscall(SYS_recvmmsg, socket, messages, static_cast<unsigned>(count), flags, nullptr));
}

int send_messages(int socket, mmsghdr* messages, std::size_t count, int flags) {
  return static_cast<int>(
      ::syscall(SYS_sendmmsg, socket, messages, static_cast<unsigned>(count), flags));
}

// Waits for room in the send buffer, as a reply that cannot join a batch must. The reader's
// socket blocks; the loop's is non-blocking once Asio has waited on it, so a full buffer is
// waited out in poll, as Asio's own synchronous send does.
void send_now(int socket, std::span<const std::uint8_t> reply,
              const boost::asio::ip::udp::endpoint& client) {
  for (;;) {
    if (::sendto(socket, reply.data(), reply.size(), 0, client.data(), client.size()) >= 0) return;
    int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      pollfd room{socket, POLLOUT, 0};
      if (::poll(&room, 1, -1) >= 0) continue;
      error = errno;
    }
    if (error == EINTR) continue;
    spdlog::debug("could not send a reply to {}: {}", endpoint_text(client), std::strerror(error));
    return;
  }
}

}  // namespace

struct UdpServer::Received {
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> senders{};
  std::array<std::array<std::uint8_t, kDatagramSlot>, kBatch> datagrams{};
  std::array<Responder::Prepared, kBatch> prepared{};
  // Who sent each datagram, who asked (a PROXY header's client), and the request's bytes.
  struct Source {
    Endpoint peer;
    Endpoint client;
    std::span<const std::uint8_t> bytes;
    bool proxied = false;
    bool drop = true;
  };
  std::array<Source, kBatch> sources{};

  Received() {
    for (std::size_t i = 0; i < kBatch; ++i) iov[i] = {datagrams[i].data(), datagrams[i].size()};
  }

  // recvmmsg writes back the headers of the datagrams it received (their address lengths,
  // flags), so those are set again before the next call; at one datagram per wakeup, setting
  // all kBatch would cost more than the rest of the reader's work.
  void prepare_receive() {
    for (std::size_t i = 0; i < used; ++i) {
      auto& header = messages[i].msg_hdr;
      header = {};
      header.msg_name = &senders[i];
      header.msg_namelen = sizeof senders[i];
      header.msg_iov = &iov[i];
      header.msg_iovlen = 1;
    }
    used = 0;
  }
  std::size_t used = kBatch;  // headers written back by the last receive (all, at first)
};

struct UdpServer::Replies {
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> clients{};
  std::array<std::array<std::uint8_t, kReplySlot>, kBatch> bytes{};
  std::size_t count = 0;

  Replies() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {bytes[i].data(), 0};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &clients[i];
    }
  }

  bool full() const { return count == kBatch; }
  std::span<std::uint8_t> next_slot() { return bytes[count]; }
  // Queues the reply written in next_slot().
  void queue(std::size_t size, const Endpoint& client) {
    if (size == 0) return;
    auto slot = count++;
    iov[slot].iov_len = size;
    std::memcpy(&clients[slot], client.data(), client.size());
    messages[slot].msg_hdr.msg_namelen = static_cast<socklen_t>(client.size());
  }
  Endpoint client(std::size_t slot) const {
    const auto& header = messages[slot].msg_hdr;
    Endpoint client;
    std::memcpy(client.data(), header.msg_name, header.msg_namelen);
    client.resize(header.msg_namelen);
    return client;
  }
};

// A ring the reader fills and the loop empties. Its slots keep their buffers, so a hand-off
// allocates nothing once they have grown; its size bounds what a flood of misses the loop
// cannot keep up with may hold.
struct UdpServer::HandOffs {
  struct Request {
    std::vector<std::uint8_t> bytes;  // after any PROXY header
    Endpoint peer;
    Endpoint client;
    bool proxied = false;
    bool plain_miss = false;  // Response::plain_miss
    TimePoint received;
  };
  std::array<Request, kHandOffSlots> slots{};
  // The reader's counters and the loop's live on cache lines of their own, so that the loop's
  // store once per batch does not take the line the reader writes on every hand-off.
  alignas(64) std::size_t filled = 0;  // the reader's: hand-offs so far
  std::size_t room = 0;                // the reader's: free slots, as of its last look
  alignas(64) std::atomic<std::size_t> answered{0};  // the loop's: hand-offs taken up so far

  Request& slot(std::size_t number) { return slots[number % kHandOffSlots]; }
  // The loop's stores to `answered` release the slots it read: the reader may refill them.
  void look_for_room() {
    room = kHandOffSlots - (filled - answered.load(std::memory_order_acquire));
  }
};

class UdpServer::DirectChannel final : public ReplyChannel {
 public:
  explicit DirectChannel(int socket) : socket_(socket) {}
  Send deferred(const Endpoint& client) override {
    return
        [this, client](std::span<const std::uint8_t> reply) { send_now(socket_, reply, client); };
  }

 private:
  int socket_;
};

UdpServer::UdpServer(boost::asio::ip::udp::socket socket, boost::asio::io_context& loop,
                     Responder& responder, const Clock& clock)
    : socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      loop_(loop),
      responder_(responder),
      reader_(nullptr),
      clock_(clock),
      received_(std::make_unique<Received>()),
      replies_(std::make_unique<Replies>()) {}

UdpServer::UdpServer(boost::asio::ip::udp::socket socket, boost::asio::io_context& loop,
                     Responder& responder, Responder& reader, Counter& backlog_dropped,
                     const Clock& clock)
    : socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      loop_(loop),
      responder_(responder),
      reader_(&reader),
      clock_(clock),
      received_(std::make_unique<Received>()),
      replies_(std::make_unique<Replies>()),
      reader_replies_(std::make_unique<Replies>()),
      direct_(std::make_unique<DirectChannel>(fd_)),
      hand_offs_(std::make_unique<HandOffs>()),
      backlog_dropped_(&backlog_dropped) {
  // The reader sleeps in recvmmsg: a socket Asio made non-blocking would have it spin.
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ((flags & O_NONBLOCK) != 0 && ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) < 0)) {
    throw std::system_error(errno, std::generic_category(), "making the UDP socket blocking");
  }
  // Out of Asio: a socket its reactor registered with epoll costs every datagram a call of
  // epoll's wakeup callback too, under a lock with interrupts off, though no one waits there
  // (5.9% more CPU per answer at 40,000 q/s: bench/RESULTS.md). Released last, so that the
  // socket closes itself if anything above throws.
  socket_.release();
}

UdpServer::~UdpServer() {
  if (reader_ != nullptr) ::close(fd_);
}

UdpServer::Endpoint UdpServer::local_endpoint() const {
  Endpoint bound;
  auto size = static_cast<socklen_t>(bound.capacity());
  if (::getsockname(fd_, bound.data(), &size) != 0) {
    throw std::system_error(errno, std::generic_category(), "the UDP socket's address");
  }
  bound.resize(size);
  return bound;
}

// Queries may already wait in the socket: drain first, then wait.
void UdpServer::start() {
  if (reader_ == nullptr) boost::asio::post(loop_, [this] { drain(); });
}

void UdpServer::read_until_stopped() {
  // A batch thread does not preempt the loop when a datagram wakes it: on a busy core it reads
  // once the loop yields, a batch of many datagrams, instead of taking the core for each one.
  sched_param param{};
  if (::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param) != 0)
    spdlog::debug("the UDP reader runs without SCHED_BATCH: {}", std::strerror(errno));
  static std::once_flag handler_installed;
  std::call_once(handler_installed, [] {
    // Only to interrupt recvmmsg: no SA_RESTART, and nothing to do in the handler.
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    ::sigaction(wake_signal(), &action, nullptr);
  });
  {
    std::lock_guard lock(reader_mutex_);
    reader_thread_ = ::pthread_self();
    reader_running_ = true;
  }
  auto& hand_offs = *hand_offs_;
  while (!stopping_.load(std::memory_order_acquire)) {
    received_->prepare_receive();
    // Sleeps until a datagram comes, then takes whatever else is queued.
    int received = receive_messages(fd_, received_->messages.data(), kBatch, MSG_WAITFORONE);
    if (stopping_.load(std::memory_order_acquire)) break;
    received_->used = static_cast<std::size_t>(std::max(received, 0));
    if (received < 0) {
      int error = errno;
      if (error == EINTR) {
        // Woken by wake_reader() (a reload), or by another signal landing on this thread.
        if (reader_->refresh_records())
          spdlog::debug("the UDP reader took up the reloaded records");
      } else {
        spdlog::warn("receiving queries: {}", std::strerror(error));
      }
      continue;
    }
    auto first = hand_offs.filled;
    hand_offs.look_for_room();
    answer_batch(static_cast<std::size_t>(received), *reader_, *reader_replies_, *direct_);
    if (hand_offs.filled != first) {
      boost::asio::post(loop_,
                        [this, first, last = hand_offs.filled] { answer_handed_off(first, last); });
    }
  }
  std::lock_guard lock(reader_mutex_);
  reader_running_ = false;  // its id may be another thread's from now on
}

void UdpServer::wake_reader() {
  std::lock_guard lock(reader_mutex_);
  if (reader_running_) ::pthread_kill(reader_thread_, wake_signal());
}

void UdpServer::stop_reading() {
  if (reader_ == nullptr || stopping_.exchange(true)) return;
  // Wakes a thread asleep in recvmmsg: Linux ends a blocked receive on any socket shut down
  // for reading, and fails this call with ENOTCONN on one that is not connected.
  ::shutdown(fd_, SHUT_RD);
}

void UdpServer::wait_readable() {
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [this](const boost::system::error_code& error) {
                       if (error == boost::asio::error::operation_aborted) return;
                       if (error) spdlog::warn("waiting for queries: {}", error.message());
                       drain();
                     });
}

void UdpServer::drain() {
  for (std::size_t round = 0; round < kBatchesPerTurn; ++round) {
    received_->prepare_receive();
    int received = receive_messages(fd_, received_->messages.data(), kBatch, MSG_DONTWAIT);
    received_->used = static_cast<std::size_t>(std::max(received, 0));
    if (received < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        wait_readable();
        return;
      }
      // Only an empty socket may end the drain: after anything else (a pending error, a
      // failed allocation) queued datagrams would wait for an edge that may never come.
      if (error != EINTR) spdlog::warn("receiving queries: {}", std::strerror(error));
      continue;
    }
    in_batch_ = true;
    answer_batch(static_cast<std::size_t>(received), responder_, *replies_, *this);
    in_batch_ = false;
    // Short of a full batch, recvmmsg met an empty socket: from here on every new datagram
    // is a new edge, so waiting cannot miss one.
    if (static_cast<std::size_t>(received) < kBatch) {
      wait_readable();
      return;
    }
  }
  // A full budget: let timers and parent replies run, then go on reading.
  boost::asio::post(loop_, [this] { drain(); });
}

void UdpServer::answer_batch(std::size_t count, Responder& responder, Replies& replies,
                             ReplyChannel& channel) {
  auto& batch = *received_;
  // First pass: open each envelope (a PROXY header) and read ahead, so that the batch's
  // memory misses (1M names: 53 MB of table) overlap instead of following each other.
  for (std::size_t i = 0; i < count; ++i) {
    auto& prepared = batch.prepared[i];
    auto& source = batch.sources[i];
    prepared.query.reset();
    source.drop = true;
    const auto& header = batch.messages[i].msg_hdr;
    if (header.msg_namelen > source.peer.capacity()) continue;
    std::memcpy(source.peer.data(), header.msg_name, header.msg_namelen);
    source.peer.resize(header.msg_namelen);
    std::span<const std::uint8_t> bytes(batch.datagrams[i].data(), batch.messages[i].msg_len);
    auto envelope = responder.open_envelope(bytes, source.peer, Responder::Transport::Udp);
    if (envelope.verdict == Responder::Envelope::Verdict::Drop) continue;
    source.drop = false;
    source.proxied = envelope.verdict == Responder::Envelope::Verdict::Proxied;
    source.client = envelope.client;
    source.bytes = bytes.subspan(envelope.header_size);
    if ((header.msg_flags & MSG_TRUNC) != 0) continue;
    responder.prepare(source.bytes, prepared);
  }
  auto now = clock_.now();
  for (std::size_t i = 0; i < count; ++i) {
    const auto& source = batch.sources[i];
    if (source.drop) continue;
    // A datagram longer than its slot is served by its first kDatagramSlot bytes: no query
    // is that long, so what it gets is FORMERR (DNS whose records run past the cut, or a
    // text line too long to be a name), as the whole datagram would have.
    Responder::Request request{source.bytes, source.client, now, &batch.prepared[i]};
    if (source.proxied) request.peer = &source.peer;
    if (replies.full()) flush(replies);
    auto response = responder.respond(request, replies.next_slot(), channel);
    if (response.outcome == Responder::Outcome::Reply) {
      replies.queue(response.size, source.peer);
    } else if (response.outcome == Responder::Outcome::HandOff && hand_offs_ != nullptr) {
      auto& hand_offs = *hand_offs_;
      if (hand_offs.room == 0) {
        backlog_dropped_->add();
        continue;
      }
      auto& slot = hand_offs.slot(hand_offs.filled++);
      --hand_offs.room;
      slot.bytes.assign(source.bytes.begin(), source.bytes.end());
      slot.peer = source.peer;
      slot.client = source.client;
      slot.proxied = source.proxied;
      slot.plain_miss = response.plain_miss;
      slot.received = now;
    }
  }
  flush(replies);
}

void UdpServer::answer_handed_off(std::size_t first, std::size_t last) {
  in_batch_ = true;
  for (auto number = first; number != last; ++number) {
    const auto& handed = hand_offs_->slot(number);
    Responder::Request request{handed.bytes, handed.client, handed.received};
    if (handed.proxied) request.peer = &handed.peer;
    request.admitted = true;
    request.plain_miss = handed.plain_miss;
    if (replies_->full()) flush(*replies_);
    auto response = responder_.respond(request, replies_->next_slot(), *this);
    if (response.outcome == Responder::Outcome::Reply) replies_->queue(response.size, handed.peer);
  }
  hand_offs_->answered.store(last, std::memory_order_release);
  in_batch_ = false;
  flush(*replies_);
}

void UdpServer::flush(Replies& replies) {
  std::size_t sent = 0;
  while (sent < replies.count) {
    int count =
        send_messages(fd_, replies.messages.data() + sent, replies.count - sent, MSG_DONTWAIT);
    if (count < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        // The send buffer is full (a burst on a slow interface): send the rest one by one,
        // waiting for room as a reply outside a batch does, rather than losing them.
        for (; sent < replies.count; ++sent) {
          send_now(fd_, std::span(replies.bytes[sent]).first(replies.iov[sent].iov_len),
                   replies.client(sent));
        }
        break;
      }
      // Lost like any UDP datagram (the client retries); the others still go.
      spdlog::debug("could not send a reply: {}", std::strerror(error));
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(count);
  }
  replies.count = 0;
}

ReplyChannel::Send UdpServer::deferred(const Endpoint& client) {
  return [this, client](std::span<const std::uint8_t> reply) { send(reply, client); };
}

void UdpServer::send(std::span<const std::uint8_t> reply, const Endpoint& client) {
  if (reply.empty()) return;
  // A reply that comes while a batch is being answered (a forward refused at once) joins it.
  // One that comes later (a parent's answer) waits for the end of this turn of the
  // io_context, so that the replies of every parent answer read in the same turn leave in one
  // sendmmsg instead of a sendto each.
  if (reply.size() > kReplySlot) {
    send_now(fd_, reply, client);
    return;
  }
  if (replies_->full()) flush(*replies_);
  std::memcpy(replies_->next_slot().data(), reply.data(), reply.size());
  replies_->queue(reply.size(), client);
  if (!in_batch_ && !flush_posted_) {
    flush_posted_ = true;
    boost::asio::post(loop_, [this] {
      flush_posted_ = false;
      flush(*replies_);
    });
  }
}

}  // namespace resolver::server

#include "resolver/server/udp_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

using net::endpoint_text;

}  // namespace

struct UdpServer::Batch {
  std::array<mmsghdr, kBatch> received{};
  std::array<iovec, kBatch> received_iov{};
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

  std::array<mmsghdr, kBatch> replies{};
  std::array<iovec, kBatch> reply_iov{};
  std::array<sockaddr_storage, kBatch> clients{};
  std::array<std::array<std::uint8_t, kReplySlot>, kBatch> reply_bytes{};
  std::size_t reply_count = 0;

  Batch() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      received_iov[i] = {datagrams[i].data(), datagrams[i].size()};
      reply_iov[i] = {reply_bytes[i].data(), 0};
      replies[i].msg_hdr.msg_iov = &reply_iov[i];
      replies[i].msg_hdr.msg_iovlen = 1;
      replies[i].msg_hdr.msg_name = &clients[i];
    }
  }

  // recvmmsg writes the lengths back, so they are set again before every call.
  void prepare_receive() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      auto& header = received[i].msg_hdr;
      header = {};
      header.msg_name = &senders[i];
      header.msg_namelen = sizeof senders[i];
      header.msg_iov = &received_iov[i];
      header.msg_iovlen = 1;
    }
  }
};

UdpServer::UdpServer(boost::asio::ip::udp::socket socket, Responder& responder, const Clock& clock)
    : socket_(std::move(socket)),
      responder_(responder),
      clock_(clock),
      batch_(std::make_unique<Batch>()) {}

UdpServer::~UdpServer() = default;

// Queries may already wait in the socket: drain first, then wait.
void UdpServer::start() {
  boost::asio::post(socket_.get_executor(), [this] { drain(); });
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
    batch_->prepare_receive();
    int received =
        ::recvmmsg(socket_.native_handle(), batch_->received.data(), kBatch, MSG_DONTWAIT, nullptr);
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
    auto count = static_cast<std::size_t>(received);
    // First pass: open each envelope (a PROXY header) and read ahead, so that the batch's
    // memory misses (1M names: 53 MB of table) overlap instead of following each other.
    for (std::size_t i = 0; i < count; ++i) {
      auto& prepared = batch_->prepared[i];
      auto& source = batch_->sources[i];
      prepared.query.reset();
      source.drop = true;
      const auto& header = batch_->received[i].msg_hdr;
      if (header.msg_namelen > source.peer.capacity()) continue;
      std::memcpy(source.peer.data(), header.msg_name, header.msg_namelen);
      source.peer.resize(header.msg_namelen);
      std::span<const std::uint8_t> bytes(batch_->datagrams[i].data(), batch_->received[i].msg_len);
      auto envelope = responder_.open_envelope(bytes, source.peer, Responder::Transport::Udp);
      if (envelope.verdict == Responder::Envelope::Verdict::Drop) continue;
      source.drop = false;
      source.proxied = envelope.verdict == Responder::Envelope::Verdict::Proxied;
      source.client = envelope.client;
      source.bytes = bytes.subspan(envelope.header_size);
      if ((header.msg_flags & MSG_TRUNC) != 0) continue;
      responder_.prepare(source.bytes, prepared);
    }
    auto now = clock_.now();
    in_batch_ = true;
    for (std::size_t i = 0; i < count; ++i) {
      const auto& source = batch_->sources[i];
      if (source.drop) continue;
      // A datagram longer than its slot is served by its first kDatagramSlot bytes: no query
      // is that long, so what it gets is FORMERR (DNS whose records run past the cut, or a
      // text line too long to be a name), as the whole datagram would have.
      Responder::Request request{source.bytes, source.client, now, &batch_->prepared[i]};
      if (source.proxied) request.peer = &source.peer;
      if (batch_->reply_count == kBatch) flush();
      auto slot = std::span(batch_->reply_bytes[batch_->reply_count]);
      auto response = responder_.respond(request, slot, *this);
      if (response.outcome == Responder::Outcome::Reply) queue_reply(response.size, source.peer);
    }
    in_batch_ = false;
    flush();
    // Short of a full batch, recvmmsg met an empty socket: from here on every new datagram
    // is a new edge, so waiting cannot miss one.
    if (static_cast<std::size_t>(received) < kBatch) {
      wait_readable();
      return;
    }
  }
  // A full budget: let timers and parent replies run, then go on reading.
  boost::asio::post(socket_.get_executor(), [this] { drain(); });
}

void UdpServer::flush() {
  std::size_t sent = 0;
  while (sent < batch_->reply_count) {
    int count = ::sendmmsg(socket_.native_handle(), batch_->replies.data() + sent,
                           static_cast<unsigned>(batch_->reply_count - sent), MSG_DONTWAIT);
    if (count < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        // The send buffer is full (a burst on a slow interface): send the rest one by one,
        // waiting for room as a reply outside a batch does, rather than losing them.
        for (; sent < batch_->reply_count; ++sent) send_slot_now(sent);
        break;
      }
      // Lost like any UDP datagram (the client retries); the others still go.
      spdlog::debug("could not send a reply: {}", std::strerror(error));
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(count);
  }
  batch_->reply_count = 0;
}

void UdpServer::send_slot_now(std::size_t slot) {
  const auto& header = batch_->replies[slot].msg_hdr;
  Endpoint client;
  std::memcpy(client.data(), header.msg_name, header.msg_namelen);
  client.resize(header.msg_namelen);
  boost::system::error_code error;
  socket_.send_to(
      boost::asio::buffer(batch_->reply_bytes[slot].data(), batch_->reply_iov[slot].iov_len),
      client, 0, error);
  if (error)
    spdlog::debug("could not send a reply to {}: {}", endpoint_text(client), error.message());
}

void UdpServer::queue_reply(std::size_t size, const Endpoint& client) {
  if (size == 0) return;
  auto slot = batch_->reply_count++;
  batch_->reply_iov[slot].iov_len = size;
  std::memcpy(&batch_->clients[slot], client.data(), client.size());
  batch_->replies[slot].msg_hdr.msg_namelen = static_cast<socklen_t>(client.size());
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
  if (reply.size() <= kReplySlot) {
    if (batch_->reply_count == kBatch) flush();
    std::memcpy(batch_->reply_bytes[batch_->reply_count].data(), reply.data(), reply.size());
    queue_reply(reply.size(), client);
    if (!in_batch_ && !flush_posted_) {
      flush_posted_ = true;
      boost::asio::post(socket_.get_executor(), [this] {
        flush_posted_ = false;
        flush();
      });
    }
    return;
  }
  boost::system::error_code error;
  socket_.send_to(boost::asio::buffer(reply.data(), reply.size()), client, 0, error);
  if (error)
    spdlog::debug("could not send a reply to {}: {}", endpoint_text(client), error.message());
}

}  // namespace resolver::server

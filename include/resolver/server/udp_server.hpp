// UdpServer: one worker's UDP transport. It only moves bytes: every rule is the Responder's.
//
// The socket is read in batches: recvmmsg(MSG_DONTWAIT) until it is empty, then one Asio
// readiness wait (Asio's epoll registration is edge-triggered, so waiting before the socket is
// drained could sleep through queued queries); the replies of a batch leave in one sendmmsg.
// After kBatchesPerTurn full batches the loop yields to the io_context so timers and parent
// replies run. The replies to forwarded queries, which come from parent answers one handler at
// a time, are gathered in the same batch and leave in one sendmmsg at the end of the turn.
// A batch is read in two passes: first every datagram is prepared (the hit path's table slots
// fetched from memory together), then each is answered.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>
#include <span>

#include "resolver/server/clock.hpp"
#include "resolver/server/responder.hpp"

namespace resolver::server {

class UdpServer final : private ReplyChannel {
 public:
  UdpServer(boost::asio::ip::udp::socket socket, Responder& responder, const Clock& clock);
  ~UdpServer() override;
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  void start();
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
  // Queues the reply written in the batch's next slot.
  void queue_reply(std::size_t size, const Endpoint& client);
  void send(std::span<const std::uint8_t> reply, const Endpoint& client);
  Send deferred(const Endpoint& client) override;

  boost::asio::ip::udp::socket socket_;
  Responder& responder_;
  const Clock& clock_;
  std::unique_ptr<Batch> batch_;
  bool in_batch_ = false;      // replies go into the batch, sent by drain()'s flush()
  bool flush_posted_ = false;  // later replies are in the batch, sent by a posted flush()
};

}  // namespace resolver::server

// UdpServer: one worker's UDP transport. It only moves bytes: every rule is the Responder's.
//
// The socket is read in batches of up to kBatch datagrams (recvmmsg) and the replies of a
// batch leave in one sendmmsg. A batch is read in two passes: first every datagram is prepared
// (the hit path's table slots fetched from memory together), then each is answered. The
// replies to forwarded queries, which come from parent answers one handler at a time, are
// gathered the same way and leave in one sendmmsg at the end of the io_context's turn.
//
// Two ways to wait for queries (UdpWait):
//
//  - Epoll (--udp-wait epoll): the io_context waits for the socket (Asio's edge-triggered
//    registration), drains it with recvmmsg(MSG_DONTWAIT) and yields after kBatchesPerTurn
//    full batches, so timers and parent replies run. One thread per worker.
//  - Blocking (the default): a reader thread of the worker's own sleeps in
//    recvmmsg and answers with a Responder of its own whatever needs no parent (local data,
//    the cache, refusals, FORMERR); the rest it hands off, a batch at a time, to the worker's
//    io_context, whose Responder forwards them (Outcome::HandOff). A wakeup then costs two
//    system calls, the receive and the send, where waiting in the event loop costs four
//    (epoll_wait, recvmmsg, sendmmsg, and the epoll_ctl that re-arms the wait): see
//    docs/design.md. The socket is released from Asio, so that queries never wake the loop
//    and no epoll callback runs for each datagram. A reload interrupts an idle reader with a
//    signal, so that it lets go of the old records. At most kHandOffSlots requests wait for the
//    loop: beyond, under a flood of misses the loop cannot keep up with, the reader drops them and
//    counts them. Unlike the socket buffer of the other mode, which holds a burst as long as
//    it has bytes left, this bound does not grow with SO_RCVBUF: a miss behind 512 others is
//    already a turn late, and its client retries.
#pragma once

#include <pthread.h>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "resolver/server/clock.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/responder.hpp"

namespace resolver::server {

enum class UdpWait { Blocking, Epoll };

class UdpServer final : private ReplyChannel {
 public:
  // Epoll: `responder` answers every request on `loop`, where the socket must be registered.
  UdpServer(boost::asio::ip::udp::socket socket, boost::asio::io_context& loop,
            Responder& responder, const Clock& clock);
  // Blocking: `reader` (whose ResponderParts::loop is `loop`) answers on the thread that calls
  // read_until_stopped(); `responder` answers what it hands off, on `loop`. The socket is taken
  // out of its io_context (released), which must not be running on another thread meanwhile,
  // and made blocking. `backlog_dropped` counts, on the reader's thread, the requests dropped
  // because kHandOffSlots were waiting for the loop.
  UdpServer(boost::asio::ip::udp::socket socket, boost::asio::io_context& loop,
            Responder& responder, Responder& reader, Counter& backlog_dropped, const Clock& clock);
  ~UdpServer() override;
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  // Epoll: starts reading on the loop. Blocking: nothing (see read_until_stopped).
  void start();
  // Blocking: the reader thread's body; returns once stop_reading() was called.
  void read_until_stopped();
  // Blocking: wakes the reader and makes it return; safe from any thread, more than once.
  void stop_reading();
  // Blocking: makes an idle reader take up reloaded records now rather than at its next query
  // (it is interrupted with a signal; one that lands while it answers a batch is taken up by
  // that batch, or by the next); safe from any thread.
  void wake_reader();
  boost::asio::ip::udp::endpoint local_endpoint() const;

 private:
  using Endpoint = boost::asio::ip::udp::endpoint;

  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kBatchesPerTurn = 8;
  // Only a datagram's first kDatagramSlot bytes are read: no query we answer comes near it.
  static constexpr std::size_t kDatagramSlot = 4096;
  static constexpr std::size_t kReplySlot = 2048;  // every DNS reply: at most 1232 bytes
  // Blocking: requests handed off and not yet taken up by the loop, at most. As many as the
  // loop takes in per turn in the other mode before it lets forwarding run.
  static constexpr std::size_t kHandOffSlots = kBatch * kBatchesPerTurn;

  struct Received;  // the recvmmsg vectors, their buffers, and each datagram's reading
  struct Replies;   // the sendmmsg vectors and their buffers
  struct HandOffs;  // the requests the reader could not answer, waiting for the loop
  // How the reader's Responder sends a reply that does not fit a batch slot: at once.
  class DirectChannel;

  // Epoll.
  void wait_readable();
  void drain();
  // Reads and answers the `count` datagrams in received_ with `responder`; replies go into
  // `replies`, requests handed off into hand_offs_ (Blocking: on the reader's thread).
  void answer_batch(std::size_t count, Responder& responder, Replies& replies,
                    ReplyChannel& channel);
  // On the loop: answers the hand-offs numbered [first, last).
  void answer_handed_off(std::size_t first, std::size_t last);
  void flush(Replies& replies);
  void send(std::span<const std::uint8_t> reply, const Endpoint& client);
  Send deferred(const Endpoint& client) override;

  boost::asio::ip::udp::socket socket_;  // Epoll; Blocking: empty (released)
  int fd_;  // socket_'s; Blocking: released to this object, closed by the destructor
  boost::asio::io_context& loop_;
  Responder& responder_;  // the loop's
  Responder* reader_;     // Blocking: the reader thread's; null: Epoll
  const Clock& clock_;
  std::unique_ptr<Received> received_;       // the reader's (Blocking) or the loop's (Epoll)
  std::unique_ptr<Replies> replies_;         // the loop's: Epoll's batches, pending and handed off
  std::unique_ptr<Replies> reader_replies_;  // Blocking: the reader's batches
  std::unique_ptr<DirectChannel> direct_;    // Blocking: the reader's ReplyChannel
  std::unique_ptr<HandOffs> hand_offs_;      // Blocking
  Counter* backlog_dropped_ = nullptr;       // Blocking: the reader's
  std::atomic<bool> stopping_{false};
  std::mutex reader_mutex_;  // over the two below, so wake_reader never signals a gone thread
  bool reader_running_ = false;
  pthread_t reader_thread_{};
  bool in_batch_ = false;      // on the loop: replies go into replies_, sent by the batch's end
  bool flush_posted_ = false;  // later replies are in replies_, sent by a posted flush
};

}  // namespace resolver::server

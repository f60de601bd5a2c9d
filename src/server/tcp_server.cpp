#include "resolver/server/tcp_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <vector>

#include "resolver/dns/stream_framer.hpp"
#include "resolver/exchange/framing.hpp"
#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::tcp;

// Unsent replies a connection may hold before it stops reading queries: a client that pipelines
// without reading its answers is held back instead of growing the server's memory.
constexpr std::size_t kMaxQueuedReplyBytes = 256 * 1024;

}  // namespace

class TcpConnection : public std::enable_shared_from_this<TcpConnection>, private ReplyChannel {
 public:
  TcpConnection(tcp::socket socket, TcpServer& server)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(server) {
    boost::system::error_code error;
    auto peer = socket_.remote_endpoint(error);
    if (!error) peer_ = client_ = Responder::Endpoint(peer.address(), peer.port());
  }

  void start() {
    last_activity_ = server_.clock_.now();
    watch_idle(server_.settings_.idle_timeout);
    read_more();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    server_.closed(this);  // may release the last reference but the caller's
  }

 private:
  bool reading_allowed() const {
    return in_flight_ < server_.settings_.max_queries && queued_bytes_ < kMaxQueuedReplyBytes;
  }

  // Answers every whole message already read, then reads more: one read system call can
  // bring many pipelined queries.
  void read_more() {
    // A reply delivered while a message is being answered (a parent refused at once) comes
    // back here: the loop below goes on by itself.
    if (closed_ || reading_ || read_done_ || answering_) return;
    answering_ = true;
    std::span<const std::uint8_t> message;
    while (reading_allowed() && !closed_) {
      if (!envelope_read_ && !read_envelope()) break;
      auto status = input_.next(message);
      if (status == dns::StreamFramer::Status::NeedMore) break;
      if (status == dns::StreamFramer::Status::Garbage) {
        spdlog::debug("closing TCP connection from {}: not a DNS message length",
                      net::endpoint_text(client_));
        answering_ = false;
        return close();
      }
      last_activity_ = server_.clock_.now();
      handle(message);
    }
    answering_ = false;
    if (closed_ || !reading_allowed()) return;  // resumed by deliver() or a finished write
    reading_ = true;
    auto space = input_.free_space();
    socket_.async_read_some(
        boost::asio::buffer(space.data(), space.size()),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
          self->reading_ = false;
          if (error) return self->end_of_input(error);
          self->input_.commit(size);
          self->read_more();
        });
  }

  // A PROXY header at the start of the stream names the client of every query on it. False
  // while more bytes are needed; a dropped stream is closed (and read_more sees closed_).
  bool read_envelope() {
    auto envelope =
        server_.responder_.open_envelope(input_.unread(), peer_, Responder::Transport::Tcp);
    switch (envelope.verdict) {
      case Responder::Envelope::Verdict::NeedMore:
        return false;
      case Responder::Envelope::Verdict::Drop:
        close();
        return false;
      case Responder::Envelope::Verdict::Proxied:
        proxied_ = true;
        break;
      case Responder::Envelope::Verdict::Plain:
        break;
    }
    input_.skip(envelope.header_size);
    client_ = envelope.client;
    envelope_read_ = true;
    return true;
  }

  // The client closed its side or the connection failed: replies still owed are sent first
  // when the connection can take them (a client may half-close after its last query).
  void end_of_input(const boost::system::error_code& error) {
    reading_ = false;
    read_done_ = true;
    if (error != boost::asio::error::eof) return close();
    if (in_flight_ == 0 && !writing_) close();
  }

  void handle(std::span<const std::uint8_t> message) {
    // The hit path works over TCP too: a plain query for a local name allocates nothing.
    server_.responder_.prepare(message, server_.prepared_);
    Responder::Request request{message,
                               client_,
                               server_.clock_.now(),
                               &server_.prepared_,
                               Responder::Transport::Tcp,
                               proxied_ ? &peer_ : nullptr};
    auto& out = server_.scratch_;
    // Counted before, since the reply of a pending query may come within respond().
    ++in_flight_;
    auto response = server_.responder_.respond(request, out, *this);
    if (response.outcome == Responder::Outcome::Pending) return;
    --in_flight_;
    if (response.outcome == Responder::Outcome::Reply) queue(std::span(out).first(response.size));
  }

  Send deferred(const Responder::Endpoint&) override {
    return [weak = weak_from_this()](std::span<const std::uint8_t> reply) {
      if (auto self = weak.lock()) self->deliver(reply);
    };
  }

  void deliver(std::span<const std::uint8_t> reply) {
    if (in_flight_ > 0) --in_flight_;
    if (closed_) return;
    last_activity_ = server_.clock_.now();
    queue(reply);
    read_more();
    if (read_done_ && in_flight_ == 0 && !writing_) close();
  }

  void queue(std::span<const std::uint8_t> reply) {
    if (reply.empty() || closed_) return;
    std::vector<std::uint8_t> framed(exchange::kLengthPrefixSize + reply.size());
    if (!exchange::write_length_prefix(reply.size(),
                                       std::span(framed).first<exchange::kLengthPrefixSize>())) {
      return;  // cannot happen: replies are built into kMaxTcpReply bytes
    }
    std::copy(reply.begin(), reply.end(), framed.begin() + exchange::kLengthPrefixSize);
    queued_bytes_ += framed.size();
    replies_.push_back(std::move(framed));
    if (!writing_) write_next();
  }

  // Every reply queued so far leaves in one write.
  void write_next() {
    writing_ = true;
    writing_count_ = replies_.size();
    buffers_.clear();
    for (const auto& reply : replies_) buffers_.push_back(boost::asio::buffer(reply));
    boost::asio::async_write(socket_, buffers_,
                             [self = shared_from_this()](const boost::system::error_code& error,
                                                         std::size_t) { self->on_written(error); });
  }

  void on_written(const boost::system::error_code& error) {
    writing_ = false;
    if (closed_) return;
    if (error) return close();
    last_activity_ = server_.clock_.now();
    for (; writing_count_ > 0; --writing_count_) {
      queued_bytes_ -= replies_.front().size();
      replies_.pop_front();
    }
    if (!replies_.empty()) return write_next();
    if (read_done_ && in_flight_ == 0) return close();
    read_more();
  }

  // One timer for the connection's life, not one per query: it wakes every idle_timeout and
  // closes the connection if nothing completed since. Queries waiting for a parent are not
  // the client's idleness.
  void watch_idle(std::chrono::steady_clock::duration wait) {
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->closed_) return;
      auto idle = self->server_.settings_.idle_timeout;
      auto since = self->server_.clock_.now() - self->last_activity_;
      if (since >= idle && self->in_flight_ == 0) {
        spdlog::debug("closing idle TCP connection from {}", net::endpoint_text(self->client_));
        return self->close();
      }
      self->watch_idle(since >= idle ? idle : idle - since);
    });
  }

  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  TcpServer& server_;
  Responder::Endpoint peer_;    // the connection's other end
  Responder::Endpoint client_;  // who asks: peer_, or its PROXY header's client
  bool envelope_read_ = false;
  bool proxied_ = false;
  dns::StreamFramer input_;
  std::deque<std::vector<std::uint8_t>> replies_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::size_t writing_count_ = 0;
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_ = 0;
  TimePoint last_activity_{};
  bool reading_ = false;
  bool answering_ = false;  // read_more() is answering buffered messages
  bool read_done_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

TcpServer::TcpServer(tcp::acceptor acceptor, Responder& responder, const Clock& clock,
                     TcpSettings settings, std::atomic<std::size_t>& open_connections)
    : acceptor_(std::move(acceptor)),
      retry_timer_(acceptor_.get_executor()),
      responder_(responder),
      clock_(clock),
      settings_(settings),
      open_connections_(open_connections) {}

TcpServer::~TcpServer() {
  // close() erases from the map: take the connections out first.
  auto open = std::move(connections_);
  connections_.clear();
  for (auto& [pointer, connection] : open) connection->close();
}

void TcpServer::start() {
  accept();
}

void TcpServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (error == boost::asio::error::operation_aborted) return;
    if (error) {
      // Out of descriptors (EMFILE) or memory: accepting again at once would spin.
      spdlog::warn("accepting a TCP connection: {}", error.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](const boost::system::error_code& wait_error) {
        if (!wait_error) accept();
      });
      return;
    }
    if (open_connections_.fetch_add(1, std::memory_order_relaxed) >= settings_.max_connections) {
      open_connections_.fetch_sub(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);  // over the limit: the client retries or falls back to UDP
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // replies go out as they are ready
      auto connection = std::make_shared<TcpConnection>(std::move(socket), *this);
      connections_.emplace(connection.get(), connection);
      connection->start();
    }
    accept();
  });
}

void TcpServer::closed(TcpConnection* connection) {
  open_connections_.fetch_sub(1, std::memory_order_relaxed);
  connections_.erase(connection);
}

}  // namespace resolver::server

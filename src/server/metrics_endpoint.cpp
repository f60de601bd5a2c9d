#include "resolver/server/metrics_endpoint.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "resolver/net/endpoint.hpp"
#include "resolver/server/metrics_exposition.hpp"

namespace resolver::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// A scraper is one or a few clients; beyond this, new connections are closed at once.
constexpr std::size_t kMaxConnections = 32;
// A connection silent this long (or a request or reply this slow) is closed.
constexpr std::chrono::seconds kIdleTimeout{10};
// GET requests carry no body; headers beyond this are not a scraper's.
constexpr std::uint32_t kMaxHeaderBytes = 8192;
// After a failed accept (out of descriptors, say), the pause before the next: accepting again
// at once would spin on the same error.
constexpr std::chrono::milliseconds kAcceptRetry{100};

constexpr const char* kPlainText = "text/plain; charset=utf-8";
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";

std::string_view text(beast::string_view view) {
  return {view.data(), view.size()};
}

struct Reply {
  http::status status = http::status::ok;
  std::string content_type = kPlainText;
  std::string body;
};

// Why /ready says no: the only way MetricsSnapshot::ready() fails is every default parent
// being unhealthy.
std::string not_ready_reason(const MetricsSnapshot& snapshot) {
  std::size_t down = 0;
  std::size_t looped = 0;
  for (const auto& parent : snapshot.parents) {
    if (parent.domain != ".") continue;
    ++(parent.looped ? looped : down);
  }
  return fmt::format("not ready: no default parent is healthy ({} marked down, {} in a loop)\n",
                     down, looped);
}

Reply route(const http::request<http::empty_body>& request,
            const MetricsEndpoint::Snapshot& snapshot) {
  auto target = request.target();
  auto path = target.substr(0, target.find('?'));
  bool known = path == "/metrics" || path == "/health" || path == "/ready";
  if (!known) return {http::status::not_found, kPlainText, "not found\n"};
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return {http::status::method_not_allowed, kPlainText, "GET or HEAD only\n"};
  }
  if (path == "/health") return {http::status::ok, kPlainText, "ok\n"};
  auto now = snapshot();
  if (path == "/ready") {
    if (now.ready()) return {http::status::ok, kPlainText, "ready\n"};
    return {http::status::service_unavailable, kPlainText, not_ready_reason(now)};
  }
  return {http::status::ok, kExposition, render_prometheus(now)};
}

// One scraper's connection: requests read and answered one after another (keep-alive).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const MetricsEndpoint::Snapshot& snapshot, std::size_t& open)
      : stream_(std::move(socket)), snapshot_(snapshot), open_(open) {
    ++open_;
  }
  ~Session() { --open_; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(0);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

 private:
  void on_read(beast::error_code error) {
    if (!error) {
      answer();
      return;
    }
    // The peer closing or going silent is the normal end of a keep-alive connection; what it
    // sent that is not a small bodiless request gets a 400 and the connection closed.
    if (error == http::error::end_of_stream || error == beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::connection_reset ||
        error == asio::error::eof) {
      return;
    }
    spdlog::debug("--http: bad request from {}: {}", peer(), error.message());
    send({http::status::bad_request, kPlainText, "bad request\n"}, 11, false, false);
  }

  void answer() {
    const auto& request = parser_->get();
    Reply reply;
    try {
      reply = route(request, snapshot_);
    } catch (const std::exception& error) {
      spdlog::error("--http: {} {} from {}: {}", text(request.method_string()),
                    text(request.target()), peer(), error.what());
      reply = {http::status::internal_server_error, kPlainText, "internal error\n"};
    }
    send(std::move(reply), request.version(), request.keep_alive(),
         request.method() == http::verb::head);
  }

  // A HEAD reply has the GET reply's headers, Content-Length included, and no body.
  void send(Reply reply, unsigned version, bool keep_alive, bool head) {
    serializer_.reset();
    response_ = {};
    response_.version(version);
    response_.result(reply.status);
    response_.set(http::field::server, "resolver");
    response_.set(http::field::content_type, reply.content_type);
    if (reply.status == http::status::method_not_allowed) {
      response_.set(http::field::allow, "GET, HEAD");
    }
    response_.keep_alive(keep_alive);
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    serializer_.emplace(response_);
    stream_.expires_after(kIdleTimeout);
    auto done = [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->on_written(error);
    };
    if (head) {
      http::async_write_header(stream_, *serializer_, std::move(done));
    } else {
      http::async_write(stream_, *serializer_, std::move(done));
    }
  }

  void on_written(beast::error_code error) {
    if (error) return;
    if (response_.keep_alive()) {
      read();
      return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kIdleTimeout);
    drain();
  }

  // Reads and drops what the client still sends until it closes (or the timeout): closing
  // with unread bytes would send a reset, which can destroy the reply before it is read.
  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code error, std::size_t) {
                              if (!error) self->drain();
                            });
  }

  std::string peer() const {
    beast::error_code error;
    auto endpoint = stream_.socket().remote_endpoint(error);
    if (error) return "?";
    return net::endpoint_text(asio::ip::udp::endpoint(endpoint.address(), endpoint.port()));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  std::array<char, 512> scratch_{};
  const MetricsEndpoint::Snapshot& snapshot_;
  std::size_t& open_;  // the endpoint's count, touched on its thread only
};

}  // namespace

struct MetricsEndpoint::Impl {
  Impl(const tcp::endpoint& listen, Snapshot take) : snapshot(std::move(take)), acceptor(io) {
    acceptor.open(listen.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(listen);
    acceptor.listen();
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted) return;
      if (error) {
        spdlog::warn("--http: accept failed: {}", error.message());
        retry.expires_after(kAcceptRetry);
        retry.async_wait([this](beast::error_code waited) {
          if (!waited) accept();
        });
        return;
      }
      // Beyond the bound the socket is closed unread: a scraper retries at its next interval.
      if (open < kMaxConnections) {
        std::make_shared<Session>(std::move(socket), snapshot, open)->read();
      }
      accept();
    });
  }

  // A handler that throws (out of memory) ends io.run(): log it and go on serving, so nothing
  // escapes the thread.
  void run() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& error) {
        spdlog::error("--http: {}", error.what());
      }
    }
  }

  // Declared before `io`: sessions still queued when `io` is destroyed count themselves out.
  Snapshot snapshot;
  std::size_t open = 0;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  asio::steady_timer retry{io};
  std::thread thread;
};

MetricsEndpoint::MetricsEndpoint(const tcp::endpoint& listen, Snapshot snapshot)
    : impl_(std::make_unique<Impl>(listen, std::move(snapshot))) {
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

// io.stop() returns run() at once; the sessions and the pending accept are destroyed with the
// io_context, on this thread, after the endpoint's thread has ended.
MetricsEndpoint::~MetricsEndpoint() {
  impl_->io.stop();
  impl_->thread.join();
}

tcp::endpoint MetricsEndpoint::local_endpoint() const {
  return impl_->acceptor.local_endpoint();
}

}  // namespace resolver::server

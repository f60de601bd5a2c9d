#include "resolver/server/metrics_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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

struct Reply {
  http::status status = http::status::ok;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

Reply route(const http::request<http::empty_body>& request,
            const MetricsEndpoint::Snapshot& snapshot) {
  auto target = request.target();
  auto path = target.substr(0, target.find('?'));
  bool known = path == "/metrics" || path == "/health" || path == "/ready";
  if (!known) return {http::status::not_found, "text/plain; charset=utf-8", "not found\n"};
  if (request.method() != http::verb::get) {
    return {http::status::method_not_allowed, "text/plain; charset=utf-8", "GET only\n"};
  }
  if (path == "/health") return {http::status::ok, "text/plain; charset=utf-8", "ok\n"};
  auto now = snapshot();
  if (path == "/ready") {
    if (now.ready()) return {http::status::ok, "text/plain; charset=utf-8", "ready\n"};
    return {http::status::service_unavailable, "text/plain; charset=utf-8",
            "not ready: no default parent is reachable\n"};
  }
  return {http::status::ok, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(now)};
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
                       if (!error) self->answer();
                     });
  }

 private:
  void answer() {
    const auto& request = parser_->get();
    auto reply = route(request, snapshot_);
    response_ = {};
    response_.version(request.version());
    response_.result(reply.status);
    response_.set(http::field::server, "resolver");
    response_.set(http::field::content_type, reply.content_type);
    response_.keep_alive(request.keep_alive());
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code error, std::size_t) {
                        if (error) return;
                        if (self->response_.keep_alive()) {
                          self->read();
                        } else {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        }
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
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
      if (!error && open < kMaxConnections) {
        std::make_shared<Session>(std::move(socket), snapshot, open)->read();
      }
      accept();  // a refused or failed connection only closes its socket
    });
  }

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
  std::thread thread;
};

MetricsEndpoint::MetricsEndpoint(const tcp::endpoint& listen, Snapshot snapshot)
    : impl_(std::make_unique<Impl>(listen, std::move(snapshot))) {
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

MetricsEndpoint::~MetricsEndpoint() {
  impl_->io.stop();
  impl_->thread.join();
}

tcp::endpoint MetricsEndpoint::local_endpoint() const {
  return impl_->acceptor.local_endpoint();
}

}  // namespace resolver::server

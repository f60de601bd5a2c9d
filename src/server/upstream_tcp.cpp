#include "upstream_tcp.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace resolver::server {

namespace asio = boost::asio;
using boost::system::error_code;

TcpExchange::TcpExchange(const asio::any_io_executor& executor, Handler handler)
    : socket_(executor), handler_(std::move(handler)) {}

void TcpExchange::start(const asio::ip::tcp::endpoint& parent,
                        std::span<const std::uint8_t> framed_query) {
  request_.assign(framed_query.begin(), framed_query.end());
  // Every completion holds the exchange alive and checks `closed_` first: close() cannot
  // withdraw a completion that is already queued.
  socket_.async_connect(parent, [self = shared_from_this()](const error_code& error) {
    if (self->closed_) return;
    if (error) {
      self->report(error);
      return;
    }
    asio::async_write(self->socket_, asio::buffer(self->request_),
                      [self](const error_code& error, std::size_t) {
                        if (self->closed_) return;
                        if (error) {
                          self->report(error);
                          return;
                        }
                        self->read_next();
                      });
  });
}

void TcpExchange::read_next() {
  if (closed_) return;
  asio::async_read(socket_, asio::buffer(prefix_),
                   [self = shared_from_this()](const error_code& error, auto) {
                     if (self->closed_) return;
                     if (error) {
                       self->report(error);
                       return;
                     }
                     self->message_.resize(exchange::read_length_prefix(self->prefix_));
                     asio::async_read(self->socket_, asio::buffer(self->message_),
                                      [self](const error_code& error, auto) {
                                        if (!self->closed_) self->report(error);
                                      });
                   });
}

void TcpExchange::report(const error_code& error) {
  if (error) {
    // Moved out first: the handler may close() this exchange, which clears handler_.
    auto handler = std::move(handler_);
    close();
    handler(error, {});
    return;
  }
  auto handler = handler_;
  handler(error, message_);
}

void TcpExchange::close() {
  closed_ = true;
  handler_ = nullptr;
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace resolver::server

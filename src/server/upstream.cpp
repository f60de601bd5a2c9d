#include "resolver/server/upstream.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"
#include "resolver/dns/random_id.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::udp;

// From a text parent's reply, only the records of the asked type answer the question.
dns::Answer select_type(dns::Answer answer, dns::RrType type) {
  if (answer.answers.empty()) return answer;
  std::erase_if(answer.answers, [type](const auto& record) { return record.type != type; });
  if (!answer.answers.empty()) return answer;
  auto ttl = dns::answer_ttl(answer).value_or(0);
  return dns::negative_answer(dns::Rcode::NoError, ttl, false);
}

class UpstreamQuery : public std::enable_shared_from_this<UpstreamQuery> {
 public:
  UpstreamQuery(boost::asio::io_context& io, const UpstreamSettings& settings,
                dns::Question question, Upstream::Done done)
      : settings_(settings),
        question_(std::move(question)),
        done_(std::move(done)),
        socket_(io),
        timer_(io) {}

  void start() { attempt(0); }

 private:
  void attempt(std::size_t index) {
    attempt_ = index;
    ++generation_;
    boost::system::error_code error;
    socket_ = udp::socket(socket_.get_executor());
    socket_.open(settings_.parent.protocol(), error);
    if (!error) socket_.connect(settings_.parent, error);
    std::size_t size = 0;
    if (!error) {
      if (settings_.protocol == ParentProtocol::Dns) {
        id_ = dns::random_id();
        size = dns::build_query(question_, id_, true, request_);
      } else {
        std::string name = question_.name.to_text();
        size = name.size();
        std::copy(name.begin(), name.end(), request_.begin());
      }
      socket_.send(boost::asio::buffer(request_.data(), size), 0, error);
    }
    if (error) {
      fail_attempt(error.message());
      return;
    }
    timer_.expires_after(settings_.attempt_timeouts[index]);
    timer_.async_wait([self = shared_from_this(), generation = generation_](auto error) {
      if (!error && generation == self->generation_) self->fail_attempt("timed out");
    });
    receive();
  }

  void receive() {
    socket_.async_receive(
        boost::asio::buffer(reply_),
        [self = shared_from_this(), generation = generation_](auto error, std::size_t size) {
          if (generation != self->generation_ || self->finished_) return;
          if (error == boost::asio::error::operation_aborted) return;
          if (error) {
            self->fail_attempt(error.message());
            return;
          }
          self->on_reply(std::span<const std::uint8_t>(self->reply_.data(), size));
        });
  }

  void on_reply(std::span<const std::uint8_t> datagram) {
    if (settings_.protocol == ParentProtocol::Text) {
      std::string_view text(reinterpret_cast<const char*>(datagram.data()), datagram.size());
      if (auto answer = text::parse_text_reply(text, question_.name)) {
        finish({true, select_type(std::move(*answer), question_.type), {}});
        return;
      }
      spdlog::debug("dropped a text reply from {} that does not answer {}",
                    settings_.parent.address().to_string(), question_.name.to_text());
      receive();
      return;
    }
    auto reply = dns::parse_upstream_reply(datagram, id_, question_);
    switch (reply.status) {
      case dns::ReplyStatus::Accepted:
        finish({true, std::move(reply.answer), {}});
        return;
      case dns::ReplyStatus::Truncated:
        fail_attempt("truncated reply (TC=1)");
        return;
      default:
        // Not a reply to this query (wrong ID or question, or garbage): keep waiting.
        spdlog::debug("dropped an unmatched reply from the parent for {}",
                      question_.name.to_text());
        receive();
        return;
    }
  }

  void fail_attempt(std::string reason) {
    if (finished_) return;
    ++generation_;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    if (attempt_ + 1 < settings_.attempt_timeouts.size()) {
      attempt(attempt_ + 1);
      return;
    }
    finish({false, {}, std::move(reason)});
  }

  void finish(UpstreamOutcome outcome) {
    finished_ = true;
    ++generation_;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    auto done = std::move(done_);
    done(std::move(outcome));
  }

  const UpstreamSettings& settings_;
  dns::Question question_;
  Upstream::Done done_;
  udp::socket socket_;
  boost::asio::steady_timer timer_;
  std::size_t attempt_ = 0;
  std::uint64_t generation_ = 0;
  std::uint16_t id_ = 0;
  bool finished_ = false;
  std::array<std::uint8_t, 512> request_{};
  std::array<std::uint8_t, 65536> reply_{};
};

}  // namespace

Upstream::Upstream(boost::asio::io_context& io, UpstreamSettings settings)
    : io_(io), settings_(std::move(settings)) {
  if (settings_.attempt_timeouts.empty()) {
    settings_.attempt_timeouts.push_back(std::chrono::milliseconds(1000));
  }
}

void Upstream::query(const dns::Question& question, Done done) {
  std::make_shared<UpstreamQuery>(io_, settings_, question, std::move(done))->start();
}

}  // namespace resolver::server

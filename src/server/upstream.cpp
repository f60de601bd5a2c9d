#include "resolver/server/upstream.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "resolver/dns/random_id.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::udp;

class UpstreamQuery : public std::enable_shared_from_this<UpstreamQuery> {
 public:
  UpstreamQuery(boost::asio::io_context& io, ParentSet& parents, exchange::Protocol protocol,
                std::vector<Attempt> attempts, dns::Question question, Upstream::Done done,
                const Clock& clock)
      : clock_(clock),
        parents_(parents),
        protocol_(protocol),
        attempts_(std::move(attempts)),
        question_(std::move(question)),
        done_(std::move(done)),
        socket_(io),
        timer_(io) {}

  void start() {
    if (attempts_.empty()) {
      finish({false, {}, "no usable parent"});
      return;
    }
    attempt(0);
  }

 private:
  std::size_t parent() const { return attempts_[attempt_].parent; }

  void attempt(std::size_t index) {
    attempt_ = index;
    ++generation_;
    started_ = clock_.now();
    boost::system::error_code error;
    const auto& endpoint = parents_.endpoint(parent());
    socket_ = udp::socket(socket_.get_executor());
    socket_.open(endpoint.protocol(), error);
    if (!error) socket_.connect(endpoint, error);
    if (!error) {
      sent_ = exchange::make_query(protocol_, question_, dns::random_id(),
                                   exchange::LetterCase::Randomized);
      std::size_t size = exchange::encode_query(sent_, request_);
      socket_.send(boost::asio::buffer(request_.data(), size), 0, error);
    }
    if (error) {
      fail_attempt(error.message());
      return;
    }
    timer_.expires_after(attempts_[index].timeout);
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
    auto match = exchange::match_reply(sent_, datagram);
    if (match.status == exchange::MatchStatus::Truncated) {
      fail_attempt("truncated reply (TC=1)");
      return;
    }
    bool accepted = match.status == exchange::MatchStatus::Answered;
    if (accepted && match.echoed_name) {
      // 0x20: a mismatch is a forgery only from a parent seen to keep the case (ParentSet).
      bool preserved = match.echoed_name->identical(sent_.question.name);
      accepted = preserved || !parents_.preserves_case(parent());
      if (accepted) parents_.record_case_echo(parent(), preserved);
    }
    if (!accepted) {
      // Not a reply to this query (wrong ID or question, or garbage): keep waiting.
      spdlog::debug("dropped an unmatched reply from {} for {}", parents_.describe(parent()),
                    question_.name.to_text());
      receive();
      return;
    }
    if (!match.answer.is_final()) {
      fail_attempt("answered " + dns::rcode_name(match.answer.rcode));
      return;
    }
    parents_.record_success(
        parent(), std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - started_));
    finish({true, std::move(match.answer), {}});
  }

  void fail_attempt(std::string reason) {
    if (finished_) return;
    ++generation_;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    parents_.record_failure(parent(), clock_.now());
    spdlog::debug("parent {} failed {} {}: {}", parents_.describe(parent()),
                  question_.name.to_text(), dns::type_name(question_.type), reason);
    if (attempt_ + 1 < attempts_.size()) {
      attempt(attempt_ + 1);
      return;
    }
    finish({false, {}, parents_.describe(parent()) + " " + reason});
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

  const Clock& clock_;
  ParentSet& parents_;
  exchange::Protocol protocol_;
  std::vector<Attempt> attempts_;
  dns::Question question_;
  exchange::Query sent_;  // this attempt's, to match its reply
  Upstream::Done done_;
  udp::socket socket_;
  boost::asio::steady_timer timer_;
  std::size_t attempt_ = 0;
  std::uint64_t generation_ = 0;
  bool finished_ = false;
  TimePoint started_;
  std::array<std::uint8_t, 512> request_{};
  std::array<std::uint8_t, 65536> reply_{};
};

}  // namespace

std::vector<Attempt> plan_attempts(const std::vector<std::size_t>& ranked,
                                   std::chrono::milliseconds budget) {
  std::vector<Attempt> plan;
  if (ranked.empty()) return plan;
  if (ranked.size() < 3) {
    // The best parent first; the retry goes to the second one if there is one.
    auto first = budget * 2 / 5;
    plan.push_back({ranked[0], first});
    plan.push_back({ranked[ranked.size() - 1], budget - first});
    return plan;
  }
  auto third = budget / 3;
  plan.push_back({ranked[0], third});
  plan.push_back({ranked[1], third});
  plan.push_back({ranked[2], budget - 2 * third});  // the rounding remainder goes last
  return plan;
}

Upstream::Upstream(boost::asio::io_context& io, ParentSet& parents, UpstreamSettings settings,
                   const Clock& clock)
    : io_(io), parents_(parents), settings_(settings), clock_(clock) {}

void Upstream::query(const dns::Question& question, Done done) {
  auto attempts = plan_attempts(parents_.ranked(clock_.now()), settings_.budget);
  std::make_shared<UpstreamQuery>(io_, parents_, settings_.protocol, std::move(attempts), question,
                                  std::move(done), clock_)
      ->start();
}

void Upstream::query_parent(std::size_t parent, const dns::Question& question, Done done) {
  std::vector<Attempt> attempts{{parent, settings_.budget}};
  std::make_shared<UpstreamQuery>(io_, parents_, settings_.protocol, std::move(attempts), question,
                                  std::move(done), clock_)
      ->start();
}

}  // namespace resolver::server

#include "resolver/server/upstream.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <stdexcept>

#include "resolver/dns/random_id.hpp"
#include "resolver/exchange/framing.hpp"
#include "upstream_tcp.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;

class UpstreamQuery : public std::enable_shared_from_this<UpstreamQuery> {
 public:
  UpstreamQuery(boost::asio::io_context& io, ParentSet& parents, const UpstreamSettings& settings,
                std::vector<Attempt> attempts, dns::Question question, Upstream::Done done,
                const Clock& clock, std::vector<ParentCounters>* counters, UdpSocketPool& sockets,
                std::span<std::uint8_t> receive_buffer)
      : clock_(clock),
        counters_(counters),
        sockets_(sockets),
        receive_buffer_(receive_buffer),
        parents_(parents),
        protocol_(settings.protocol),
        // The text protocol has no stream form.
        tcp_only_(settings.transport == ParentTransport::Tcp &&
                  settings.protocol == ParentProtocol::Dns),
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
    truncated_ = false;
    if (counters_ != nullptr) (*counters_)[parent()].queries.add();
    sent_ = exchange::make_query(protocol_, question_, dns::random_id(),
                                 exchange::LetterCase::Randomized);
    std::string error = tcp_only_ ? ask_over_tcp() : ask_over_udp();
    if (!error.empty()) {
      fail_attempt(error);
      return;
    }
    timer_.expires_after(attempts_[index].timeout);
    timer_.async_wait([self = shared_from_this(), generation = generation_](auto error) {
      if (!error && generation == self->generation_) {
        self->fail_attempt("timed out", Failure::TimedOut);
      }
    });
  }

  // Returns why the query could not be sent, empty once it is on its way.
  std::string ask_over_udp() {
    boost::system::error_code error;
    auto lease = sockets_.take(parent(), parents_.endpoint(parent()), error);
    if (error) return error.message();
    socket_ = std::move(lease.socket);
    socket_uses_ = lease.uses;
    std::size_t size = exchange::encode_query(sent_, request_);
    socket_.send(boost::asio::buffer(request_.data(), size), 0, error);
    if (error) return error.message();
    receive();
    return {};
  }

  std::string ask_over_tcp() {
    std::array<std::uint8_t, exchange::kLengthPrefixSize + 512> framed{};
    std::size_t size = exchange::encode_framed_query(sent_, framed);
    if (size == 0) return "query does not fit";
    const auto& endpoint = parents_.endpoint(parent());
    tcp_ = std::make_shared<TcpExchange>(
        socket_.get_executor(),
        [self = shared_from_this(), generation = generation_](
            const boost::system::error_code& error, std::span<const std::uint8_t> message) {
          if (generation != self->generation_ || self->finished_) return;
          if (error) {
            self->fail_attempt("over TCP: " + error.message());
            return;
          }
          self->on_reply(message);
        });
    tcp_->start(tcp::endpoint(endpoint.address(), endpoint.port()),
                std::span<const std::uint8_t>(framed.data(), size));
    return {};
  }

  // Waits for the socket, then reads into the Upstream's buffer and handles the datagram at
  // once, before anything else can read into it.
  void receive() {
    socket_.async_wait(udp::socket::wait_read,
                       [self = shared_from_this(),
                        generation = generation_](const boost::system::error_code& error) {
                         if (generation != self->generation_ || self->finished_) return;
                         if (error == boost::asio::error::operation_aborted) return;
                         if (error) {
                           self->fail_attempt(error.message());
                           return;
                         }
                         boost::system::error_code read_error;
                         auto buffer = self->receive_buffer_;
                         std::size_t size = self->socket_.receive(
                             boost::asio::buffer(buffer.data(), buffer.size()), 0, read_error);
                         if (read_error == boost::asio::error::would_block ||
                             read_error == boost::asio::error::try_again) {
                           self->receive();
                           return;
                         }
                         if (read_error) {
                           self->fail_attempt(read_error.message());  // a closed port: ECONNREFUSED
                           return;
                         }
                         self->on_reply(std::span<const std::uint8_t>(buffer.data(), size));
                       });
  }

  // The next datagram or message on whichever transport this query is on now.
  void keep_waiting() {
    if (tcp_) {
      tcp_->read_next();
    } else {
      receive();
    }
  }

  void on_reply(std::span<const std::uint8_t> message) {
    auto match = exchange::match_reply(sent_, message);
    bool accepted = match.status != exchange::MatchStatus::Unmatched;
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
      keep_waiting();
      return;
    }
    if (match.status == exchange::MatchStatus::Truncated) {
      if (tcp_) {
        // A stream has no size limit: TC over TCP is a broken parent, not a big answer.
        fail_attempt("truncated reply over TCP");
      } else {
        retry_over_tcp();
      }
      return;
    }
    if (!match.answer.is_final()) {
      fail_attempt("answered " + dns::rcode_name(match.answer.rcode));
      return;
    }
    // After a truncation the parent's round trip is already counted, and one that includes a
    // TCP handshake would rank it against the others' UDP ones unfairly.
    if (!truncated_) parents_.record_success(parent(), round_trip());
    if (counters_ != nullptr) (*counters_)[parent()].record_latency(round_trip());
    finish({true, std::move(match.answer), {}});
  }

  // The parent answered, only not in full: it is healthy, and the rest of the attempt's time
  // goes to asking it again where the answer fits.
  void retry_over_tcp() {
    truncated_ = true;
    parents_.record_success(parent(), round_trip());
    spdlog::debug("parent {} truncated {} {}: asking again over TCP", parents_.describe(parent()),
                  question_.name.to_text(), dns::type_name(question_.type));
    boost::system::error_code ignored;
    socket_.close(ignored);
    // A new ID, so that nothing meant for the UDP query can pass for the reply; the same
    // letter case, which the parent has just echoed.
    auto udp_id = sent_.id;
    while (sent_.id == udp_id) sent_.id = dns::random_id();
    std::string error = ask_over_tcp();
    if (!error.empty()) fail_attempt(error);
  }

  std::chrono::microseconds round_trip() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - started_);
  }

  void close_transports() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    if (tcp_) {
      tcp_->close();
      tcp_.reset();
    }
  }

  enum class Failure { TimedOut, Other };
  void fail_attempt(std::string reason, Failure kind = Failure::Other) {
    if (finished_) return;
    ++generation_;
    close_transports();
    if (counters_ != nullptr) {
      auto& counters = (*counters_)[parent()];
      (kind == Failure::TimedOut ? counters.timeouts : counters.failures).add();
    }
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
    // The socket of an answered UDP attempt serves again; any other is closed below.
    if (outcome.reached && !tcp_ && socket_.is_open()) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);
      sockets_.give_back(parent(), {std::move(socket_), socket_uses_ + 1});
      socket_ = udp::socket(timer_.get_executor());
    }
    close_transports();
    auto done = std::move(done_);
    done(std::move(outcome));
  }

  const Clock& clock_;
  std::vector<ParentCounters>* counters_;  // this worker's, for this route; null: not counted
  UdpSocketPool& sockets_;
  std::span<std::uint8_t> receive_buffer_;  // the Upstream's
  ParentSet& parents_;
  exchange::Protocol protocol_;
  bool tcp_only_;
  std::vector<Attempt> attempts_;
  dns::Question question_;
  exchange::Query sent_;  // this attempt's, to match its reply
  Upstream::Done done_;
  udp::socket socket_;
  unsigned socket_uses_ = 0;          // queries socket_ carried before this one
  std::shared_ptr<TcpExchange> tcp_;  // while this attempt is over TCP
  boost::asio::steady_timer timer_;
  std::size_t attempt_ = 0;
  std::uint64_t generation_ = 0;
  bool finished_ = false;
  bool truncated_ = false;  // this attempt got TC=1 over UDP and went on over TCP
  TimePoint started_;
  std::array<std::uint8_t, 512> request_;
};

}  // namespace

UdpSocketPool::Lease UdpSocketPool::take(std::size_t parent, const udp::endpoint& endpoint,
                                         boost::system::error_code& error) {
  auto& idle = idle_[parent];
  if (!idle.empty()) {
    // At random, so that which port the next query leaves from cannot be told from the last.
    std::swap(idle[dns::random_id() % idle.size()], idle.back());
    Lease lease = std::move(idle.back());
    idle.pop_back();
    return lease;
  }
  Lease lease{udp::socket(io_), 0};
  lease.socket.open(endpoint.protocol(), error);
  if (!error) lease.socket.connect(endpoint, error);  // the kernel picks a random port
  if (!error) lease.socket.non_blocking(true, error);
  return lease;
}

void UdpSocketPool::give_back(std::size_t parent, Lease lease) {
  auto& idle = idle_[parent];
  if (lease.uses >= kMaxSocketUses || idle.size() >= kMaxIdle) return;  // closed as it goes
  idle.push_back(std::move(lease));
}

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
                   const Clock& clock, WorkerMetrics* metrics, std::size_t route)
    : io_(io),
      parents_(parents),
      settings_(settings),
      clock_(clock),
      metrics_(metrics),
      sockets_(io, parents.size()),
      receive_buffer_(65536) {
  if (metrics_ != nullptr) {
    counters_ = &metrics_->parents.at(route);
    if (counters_->size() != parents_.size())
      throw std::logic_error("metrics sized for other parents");
  }
}

void Upstream::query(const dns::Question& question, Done done) {
  if (metrics_ != nullptr) metrics_->upstream_questions.add();
  auto attempts = plan_attempts(parents_.ranked(clock_.now()), settings_.budget);
  std::make_shared<UpstreamQuery>(io_, parents_, settings_, std::move(attempts), question,
                                  std::move(done), clock_, counters_, sockets_, receive_buffer_)
      ->start();
}

void Upstream::query_parent(std::size_t parent, const dns::Question& question, Done done) {
  std::vector<Attempt> attempts{{parent, settings_.budget}};
  std::make_shared<UpstreamQuery>(io_, parents_, settings_, std::move(attempts), question,
                                  std::move(done), clock_, counters_, sockets_, receive_buffer_)
      ->start();
}

}  // namespace resolver::server

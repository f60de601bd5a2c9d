#include "resolver/server/forwarder.hpp"

#include <spdlog/spdlog.h>

namespace resolver::server {

Forwarder::Forwarder(boost::asio::io_context& io, const QueryHandler& handler,
                     ParentQueries& upstream, InFlight& in_flight, const Clock& clock,
                     ForwarderLimits limits, std::chrono::milliseconds stale_after)
    : io_(io),
      handler_(handler),
      upstream_(upstream),
      in_flight_(in_flight),
      clock_(clock),
      limits_(limits),
      stale_after_(stale_after) {}

void Forwarder::refuse(const dns::Question& question, const Reply& reply) const {
  if (auto stale = handler_.stale_answer(question, clock_.now())) {
    reply(*stale, AnswerSource::Stale);
  } else {
    reply(dns::failure_answer(dns::Rcode::ServFail), AnswerSource::None);
  }
}

void Forwarder::forward(const dns::Question& question, Reply reply) {
  std::string key = cache::question_key(question);
  InFlight::Waiter waiter{&io_, std::move(reply)};
  bool may_start = started_.size() < limits_.max_in_flight;
  switch (in_flight_.join(key, std::move(waiter), limits_.max_waiters, may_start)) {
    case InFlight::Join::Joined:
      return;
    case InFlight::Join::Full:
      refuse(question, waiter.reply);  // join() leaves a refused waiter as it was
      return;
    case InFlight::Join::Start:
      break;
  }
  // Another worker's query for it may have ended between this client's cache miss and the
  // join: then the cache has the answer, and asking again would be a second upstream query.
  dns::Answer cached;
  if (handler_.resolve(question, true, clock_.now(), cached) != Resolution::Forward) {
    InFlight::deliver(in_flight_.finish(key), cached, source_of(cached), io_);
    return;
  }
  std::unique_ptr<boost::asio::steady_timer> timer;
  if (handler_.stale_answer(question, clock_.now())) {
    timer = std::make_unique<boost::asio::steady_timer>(io_, stale_after_);
    timer->async_wait([this, question, key](const boost::system::error_code& error) {
      if (!error) answer_stale(question, key);
    });
  }
  started_[key] = std::move(timer);
  start(question, key);
}

void Forwarder::refresh(const dns::Question& question) {
  if (started_.size() >= limits_.max_in_flight) return;
  std::string key = cache::question_key(question);
  if (!in_flight_.claim(key)) return;
  // A refresh asked for by a reader thread or another worker just before another refresh of
  // the entry ended arrives here after it: the entry is renewed, and asking again would be a
  // second upstream query.
  dns::Answer cached;
  if (handler_.resolve(question, true, clock_.now(), cached) == Resolution::Answered) {
    InFlight::deliver(in_flight_.finish(key), cached, source_of(cached), io_);
    return;
  }
  started_[key] = nullptr;
  start(question, key);
}

void Forwarder::answer_stale(const dns::Question& question, const std::string& key) {
  auto stale = handler_.stale_answer(question, clock_.now());
  if (!stale) return;
  // The upstream query stays in flight to refresh the cache; clients that join from now on
  // wait for it.
  InFlight::deliver(in_flight_.take_waiters(key), *stale, AnswerSource::Stale, io_);
}

void Forwarder::start(const dns::Question& question, const std::string& key) {
  upstream_.query(question, [this, question, key](UpstreamOutcome outcome) {
    if (!outcome.reached) {
      spdlog::warn("no parent answered {} {}: {}", question.name.to_text(),
                   dns::type_name(question.type), outcome.error);
    }
    // Cached before the entry goes, so a client arriving in between finds the cache filled.
    auto answer = handler_.complete(question, outcome, clock_.now());
    // SERVFAIL when no parent answered counts as the parents' too (docs/operations.md).
    auto source = answer.extended_error == dns::kEdeStaleAnswer ? AnswerSource::Stale
                  : outcome.shared                              ? AnswerSource::Shared
                                                                : AnswerSource::Parent;
    started_.erase(key);  // cancels the stale timer
    InFlight::deliver(in_flight_.finish(key), answer, source, io_);
  });
}

}  // namespace resolver::server

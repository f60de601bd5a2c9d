#include "resolver/server/forwarder.hpp"

#include <spdlog/spdlog.h>

namespace resolver::server {

Forwarder::Forwarder(boost::asio::io_context& io, const QueryHandler& handler, Upstream& upstream,
                     ForwarderLimits limits)
    : io_(io), handler_(handler), upstream_(upstream), limits_(limits) {}

void Forwarder::refuse(const dns::Question& question, const Reply& reply) const {
  auto stale = handler_.stale_answer(question, cache::Clock::now());
  reply(stale ? *stale : dns::failure_answer(dns::Rcode::ServFail));
}

void Forwarder::forward(const dns::Question& question, Reply reply) {
  std::string key = cache::question_key(question);
  auto existing = pending_.find(key);
  if (existing != pending_.end()) {
    if (existing->second.waiters.size() >= limits_.max_waiters) {
      refuse(question, reply);
      return;
    }
    existing->second.waiters.push_back(std::move(reply));
    return;
  }
  if (pending_.size() >= limits_.max_in_flight) {
    refuse(question, reply);
    return;
  }
  auto it = pending_.try_emplace(key).first;
  it->second.waiters.push_back(std::move(reply));
  if (handler_.stale_answer(question, cache::Clock::now())) {
    auto timer = std::make_unique<boost::asio::steady_timer>(io_, kStaleAfter);
    timer->async_wait([this, question, key](const boost::system::error_code& error) {
      if (!error) answer_stale(question, key);
    });
    it->second.stale_timer = std::move(timer);
  }
  start(question, key);
}

void Forwarder::refresh(const dns::Question& question) {
  if (pending_.size() >= limits_.max_in_flight) return;
  std::string key = cache::question_key(question);
  auto [it, first] = pending_.try_emplace(key);
  if (first) start(question, key);
}

void Forwarder::answer_stale(const dns::Question& question, const std::string& key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  auto stale = handler_.stale_answer(question, cache::Clock::now());
  if (!stale) return;
  // The upstream query stays in flight (and pending_) to refresh the cache.
  auto waiters = std::move(it->second.waiters);
  it->second.waiters.clear();
  for (auto& waiter : waiters) waiter(*stale);
}

void Forwarder::start(const dns::Question& question, const std::string& key) {
  upstream_.query(question, [this, question, key](UpstreamOutcome outcome) {
    if (!outcome.reached) {
      spdlog::warn("no parent answered {} {}: {}", question.name.to_text(),
                   dns::type_name(question.type), outcome.error);
    }
    auto answer = handler_.complete(question, outcome, cache::Clock::now());
    auto node = pending_.extract(key);
    if (node.empty()) return;
    for (auto& waiter : node.mapped().waiters) waiter(answer);
  });
}

}  // namespace resolver::server

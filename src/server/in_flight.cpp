#include "resolver/server/in_flight.hpp"

#include <boost/asio/post.hpp>

namespace resolver::server {

InFlight::Join InFlight::join(const std::string& key, Waiter&& waiter, std::size_t max_waiters,
                              bool may_start) {
  std::lock_guard lock(mutex_);
  auto existing = questions_.find(key);
  if (existing != questions_.end()) {
    if (existing->second.size() >= max_waiters) return Join::Full;
    existing->second.push_back(std::move(waiter));
    return Join::Joined;
  }
  if (!may_start) return Join::Full;
  questions_[key].push_back(std::move(waiter));
  return Join::Start;
}

bool InFlight::claim(const std::string& key) {
  std::lock_guard lock(mutex_);
  return questions_.try_emplace(key).second;
}

std::vector<InFlight::Waiter> InFlight::finish(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto node = questions_.extract(key);
  if (node.empty()) return {};
  return std::move(node.mapped());
}

std::vector<InFlight::Waiter> InFlight::take_waiters(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = questions_.find(key);
  if (it == questions_.end()) return {};
  return std::exchange(it->second, {});
}

std::size_t InFlight::size() const {
  std::lock_guard lock(mutex_);
  return questions_.size();
}

void InFlight::deliver(std::vector<Waiter> waiters, const dns::Answer& answer, AnswerSource source,
                       const boost::asio::io_context& here) {
  for (auto& waiter : waiters) {
    if (waiter.io == &here) {
      waiter.reply(answer, source);
    } else {
      boost::asio::post(
          *waiter.io, [reply = std::move(waiter.reply), answer, source] { reply(answer, source); });
    }
  }
}

}  // namespace resolver::server

#include "resolver/server/forwarder.hpp"

#include <spdlog/spdlog.h>

namespace resolver::server {

Forwarder::Forwarder(const QueryHandler& handler, Upstream& upstream)
    : handler_(handler), upstream_(upstream) {}

void Forwarder::forward(const dns::Question& question, Reply reply) {
  std::string key = question.name.key();
  key.push_back(static_cast<char>(dns::to_underlying(question.type) >> 8));
  key.push_back(static_cast<char>(dns::to_underlying(question.type) & 0xFF));
  auto [it, first] = waiting_.try_emplace(key);
  it->second.push_back(std::move(reply));
  if (!first) return;
  upstream_.query(question, [this, question, key](UpstreamOutcome outcome) {
    if (!outcome.reached) {
      spdlog::warn("parent {} did not answer {} {}: {}",
                   upstream_.settings().parent.address().to_string(), question.name.to_text(),
                   dns::type_name(question.type), outcome.error);
    }
    auto answer = handler_.complete(question, outcome, cache::Clock::now());
    auto node = waiting_.extract(key);
    for (auto& waiter : node.mapped()) waiter(answer);
  });
}

}  // namespace resolver::server

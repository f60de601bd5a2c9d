// Forwarder: coalesces identical questions in flight into one upstream query.
//
// The first client asking (name, type) starts the upstream query; later clients asking the
// same question before it ends wait for the same answer. When it ends, the handler caches the
// parent's answer once and every waiting client gets it. One Forwarder per worker thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/server/query_handler.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

class Forwarder {
 public:
  using Reply = std::function<void(const dns::Answer&)>;

  Forwarder(const QueryHandler& handler, Upstream& upstream);

  void forward(const dns::Question& question, Reply reply);
  std::size_t questions_in_flight() const { return waiting_.size(); }

 private:
  const QueryHandler& handler_;
  Upstream& upstream_;
  std::unordered_map<std::string, std::vector<Reply>> waiting_;
};

}  // namespace resolver::server

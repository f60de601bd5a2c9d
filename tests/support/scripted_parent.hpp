// A parent that holds every question until the test answers or fails it: the Forwarder's
// ParentQueries with no socket, so a test decides when and what a parent replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "resolver/server/upstream.hpp"
#include "support/records.hpp"

namespace test_support {

class ScriptedParent : public resolver::server::ParentQueries {
 public:
  void query(const resolver::dns::Question& asked, Done done) override {
    questions.push_back(asked);
    pending.push_back(std::move(done));
  }
  void answer(std::size_t index, std::string_view address, std::uint32_t ttl = 60) {
    resolver::server::UpstreamOutcome outcome;
    outcome.reached = true;
    outcome.answer.answers.push_back(address_record(questions[index].name.to_text(), address, ttl));
    std::exchange(pending[index], {})(outcome);
  }
  void fail(std::size_t index) {
    resolver::server::UpstreamOutcome outcome;
    outcome.error = "timed out";
    std::exchange(pending[index], {})(outcome);
  }

  std::vector<resolver::dns::Question> questions;
  std::vector<Done> pending;
};

}  // namespace test_support

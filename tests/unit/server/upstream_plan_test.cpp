// plan_attempts: how one question's time budget is spread over the ranked parents.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "resolver/server/upstream.hpp"

namespace {

using resolver::server::Attempt;
using resolver::server::plan_attempts;
using std::chrono::milliseconds;
using Ranking = std::vector<std::size_t>;

// "parent:timeout_ms" per attempt, so a failing CHECK shows the whole plan.
std::vector<std::string> describe(const std::vector<Attempt>& plan) {
  std::vector<std::string> out;
  for (const auto& attempt : plan) {
    out.push_back(std::to_string(attempt.parent) + ":" + std::to_string(attempt.timeout.count()));
  }
  return out;
}

milliseconds total(const std::vector<Attempt>& plan) {
  milliseconds sum{0};
  for (const auto& attempt : plan) sum += attempt.timeout;
  return sum;
}

}  // namespace

TEST_CASE("one parent gets two attempts splitting the budget 2/5 and 3/5", "[server][upstream]") {
  struct Row {
    std::size_t parent;
    long budget;
    std::vector<std::string> expected;
  };
  auto row = GENERATE(Row{0, 2500, {"0:1000", "0:1500"}}, Row{4, 2500, {"4:1000", "4:1500"}},
                      Row{0, 5000, {"0:2000", "0:3000"}}, Row{0, 1000, {"0:400", "0:600"}});
  CAPTURE(row.parent, row.budget);
  CHECK(describe(plan_attempts({row.parent}, milliseconds(row.budget))) == row.expected);
}

TEST_CASE("two parents: the best one first, the retry on the second", "[server][upstream]") {
  struct Row {
    Ranking ranked;
    std::vector<std::string> expected;
  };
  auto row = GENERATE(Row{{0, 1}, {"0:1000", "1:1500"}}, Row{{1, 0}, {"1:1000", "0:1500"}},
                      Row{{7, 3}, {"7:1000", "3:1500"}});
  CAPTURE(row.ranked);
  CHECK(describe(plan_attempts(row.ranked, milliseconds(2500))) == row.expected);
}

TEST_CASE("three or more parents: the three best, a third of the budget each",
          "[server][upstream]") {
  struct Row {
    Ranking ranked;
    long budget;
    std::vector<std::string> expected;
  };
  auto row = GENERATE(Row{{0, 1, 2}, 3000, {"0:1000", "1:1000", "2:1000"}},
                      Row{{2, 0, 1}, 3000, {"2:1000", "0:1000", "1:1000"}},
                      Row{{4, 3, 2, 1, 0}, 3000, {"4:1000", "3:1000", "2:1000"}},
                      Row{{9, 8, 7, 6}, 1500, {"9:500", "8:500", "7:500"}});
  CAPTURE(row.ranked, row.budget);
  CHECK(describe(plan_attempts(row.ranked, milliseconds(row.budget))) == row.expected);
}

TEST_CASE("with three or more parents no attempt is much shorter than a third of the budget",
          "[server][upstream]") {
  for (long budget : {2500L, 2501L, 1000L, 7L}) {
    CAPTURE(budget);
    auto plan = plan_attempts({0, 1, 2, 3}, milliseconds(budget));
    REQUIRE(plan.size() == 3);
    for (const auto& attempt : plan) {
      CHECK(attempt.timeout >= milliseconds(budget / 3));
      CHECK(attempt.timeout <= milliseconds(budget / 3 + 2));
    }
  }
}

TEST_CASE("an empty ranking plans no attempt", "[server][upstream]") {
  for (long budget : {0L, 1L, 2500L}) {
    CAPTURE(budget);
    CHECK(plan_attempts({}, milliseconds(budget)).empty());
  }
}

TEST_CASE("with one or two parents the attempts' timeouts sum to the budget",
          "[server][upstream]") {
  for (std::size_t parents : {1u, 2u}) {
    for (long budget : {2500L, 2501L, 2502L, 1001L, 999L, 7L, 1L}) {
      Ranking ranked;
      for (std::size_t i = 0; i < parents; ++i) ranked.push_back(i);
      CAPTURE(parents, budget);
      CHECK(total(plan_attempts(ranked, milliseconds(budget))) == milliseconds(budget));
    }
  }
}

TEST_CASE("with three or more parents the attempts' timeouts sum to the budget",
          "[server][upstream]") {
  for (std::size_t parents : {3u, 4u, 10u}) {
    for (long budget : {2500L, 2501L, 2502L, 3000L, 1001L, 7L}) {
      Ranking ranked;
      for (std::size_t i = 0; i < parents; ++i) ranked.push_back(i);
      CAPTURE(parents, budget);
      CHECK(total(plan_attempts(ranked, milliseconds(budget))) == milliseconds(budget));
    }
  }
}

TEST_CASE("the default budget is 2.5 s", "[server][upstream]") {
  CHECK(resolver::server::UpstreamSettings{}.budget == milliseconds(2500));
}

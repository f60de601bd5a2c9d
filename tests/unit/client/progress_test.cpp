#include "resolver/client/progress.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

namespace {

using namespace resolver::client;
using namespace std::chrono_literals;

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  for (int c; (c = std::fgetc(file)) != EOF;) text.push_back(static_cast<char>(c));
  return text;
}

}  // namespace

TEST_CASE("the progress line shows done, rate, failures and time left", "[client]") {
  ProgressStats stats;
  stats.done = 12000;
  stats.not_found = 12;
  stats.errors = 3;
  stats.elapsed = 3s;
  stats.expected_total = 20000;
  CHECK(format_progress(stats) ==
        "12000/20000 done (60%), 4000/s, 12 not found, 3 errors, 0:02 left");
}

TEST_CASE("without a known total the progress line leaves out the time left", "[client]") {
  ProgressStats stats;
  stats.done = 500;
  stats.errors = 1;
  stats.elapsed = 2s;
  CHECK(format_progress(stats) == "500 done, 250/s, 0 not found, 1 error");
}

TEST_CASE("the time left is shown in minutes and seconds", "[client]") {
  ProgressStats stats;
  stats.done = 100;
  stats.elapsed = 1s;
  stats.expected_total = 12600;
  CHECK(format_progress(stats).ends_with(", 2:05 left"));
}

TEST_CASE("estimate_total scales the names read by the share of the input read", "[client]") {
  CHECK(estimate_total(100, 1000, 10000) == 1000u);
  CHECK(estimate_total(100, 10000, 10000) == 100u);  // all read: exact
  CHECK(!estimate_total(100, 1000, std::nullopt));   // a pipe: unknown
  CHECK(!estimate_total(0, 0, 10000));
}

TEST_CASE("the progress line is drawn only after the delay, throttled, and erased at the end",
          "[client]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file);
  ProgressLine line(file, 1000ms, 200ms);
  ProgressStats stats;
  stats.done = 10;
  stats.elapsed = 500ms;
  auto now = ProgressLine::Clock::now();
  line.update(stats, now);
  CHECK(read_all(file).empty());  // a short batch shows nothing
  stats.elapsed = 1100ms;
  line.update(stats, now);
  stats.done = 11;
  line.update(stats, now + 100ms);  // too soon after the last draw
  std::string drawn = read_all(file);
  CHECK(drawn == "\r10 done, 9/s, 0 not found, 0 errors\x1b[K");
  line.update(stats, now + 300ms);
  line.clear();
  CHECK(read_all(file).ends_with("11 done, 10/s, 0 not found, 0 errors\x1b[K\r\x1b[K"));
  std::fclose(file);
}

TEST_CASE("clearing a progress line that was never drawn writes nothing", "[client]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file);
  ProgressLine line(file);
  line.clear();
  CHECK(read_all(file).empty());
  std::fclose(file);
}

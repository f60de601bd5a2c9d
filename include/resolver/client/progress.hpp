// The progress line a long batch shows on stderr when stderr is a terminal: how many names
// are done, how fast, how many failed, and (when the input's size is known) how long is left.
//
// format_progress() is pure; ProgressLine decides when to draw (only once a batch has run
// for a while, at a few redraws per second) and erases itself at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace resolver::client {

struct ProgressStats {
  std::uint64_t done = 0;       // names with their result delivered
  std::uint64_t not_found = 0;  // NXDOMAIN, NODATA
  std::uint64_t errors = 0;     // timeouts, SERVFAIL, REFUSED, invalid names, ...
  std::chrono::duration<double> elapsed{0};
  std::optional<std::uint64_t> expected_total;  // names in the whole input, when known
};

// An estimate of how many names the whole input holds, from how many of `total_bytes` have
// been read and how many names they held; nullopt when there is nothing to go on.
std::optional<std::uint64_t> estimate_total(std::uint64_t names_read, std::uint64_t bytes_read,
                                            std::optional<std::uint64_t> total_bytes);

// "12000/20000 done (60%), 4523/s, 12 not found, 3 errors, 0:02 left"; the parts about a
// total and the time left only when `expected_total` is known.
std::string format_progress(const ProgressStats& stats);

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ProgressLine(std::FILE* out, std::chrono::milliseconds delay = std::chrono::seconds(1),
                        std::chrono::milliseconds interval = std::chrono::milliseconds(200));

  // Redraws the line when the batch has run longer than `delay` and the last draw is older
  // than `interval`.
  void update(const ProgressStats& stats, Clock::time_point now = Clock::now());
  // Erases the line, if one was drawn.
  void clear();

 private:
  std::FILE* out_;
  std::chrono::milliseconds delay_;
  std::chrono::milliseconds interval_;
  std::optional<Clock::time_point> last_draw_;
  bool drawn_ = false;
};

}  // namespace resolver::client

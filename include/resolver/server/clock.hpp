// Clock: where the serving path reads "now", so that every time-dependent rule (cache expiry,
// serve-stale, parent down-marking, rate limits) can be driven by a test instead of by waiting.
//
// The server runs on SystemClock (std::chrono::steady_clock: monotonic, so a change of the
// wall-clock time never expires or revives cache entries); tests use ManualClock and move it
// by hand. Timers that wake the io_context still run on Asio's steady_timer: their durations
// are settings, so a test can make them zero.
#pragma once

#include <atomic>
#include <chrono>

namespace resolver::server {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return SteadyClock::now(); }
};

// The process's one SystemClock.
const Clock& system_clock();

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{} + std::chrono::hours(1)) : now_(start) {}
  TimePoint now() const override { return now_.load(); }
  void advance(SteadyClock::duration by) { now_.store(now_.load() + by); }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace resolver::server

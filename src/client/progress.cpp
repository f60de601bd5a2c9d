#include "resolver/client/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace resolver::client {

std::optional<std::uint64_t> estimate_total(std::uint64_t names_read, std::uint64_t bytes_read,
                                            std::optional<std::uint64_t> total_bytes) {
  if (!total_bytes || bytes_read == 0) return std::nullopt;
  if (bytes_read >= *total_bytes) return names_read;
  double per_byte = static_cast<double>(names_read) / static_cast<double>(bytes_read);
  auto estimate =
      static_cast<std::uint64_t>(std::llround(per_byte * static_cast<double>(*total_bytes)));
  return std::max(estimate, names_read);
}

std::string format_progress(const ProgressStats& stats) {
  double seconds = stats.elapsed.count();
  double rate = seconds > 0 ? static_cast<double>(stats.done) / seconds : 0;
  std::string line;
  auto out = std::back_inserter(line);
  if (stats.expected_total && *stats.expected_total >= stats.done && *stats.expected_total > 0) {
    auto total = *stats.expected_total;
    fmt::format_to(out, "{}/{} done ({}%)", stats.done, total, stats.done * 100 / total);
  } else {
    fmt::format_to(out, "{} done", stats.done);
  }
  fmt::format_to(out, ", {:.0f}/s, {} not found, {} error{}", rate, stats.not_found, stats.errors,
                 stats.errors == 1 ? "" : "s");
  if (stats.expected_total && rate > 0 && *stats.expected_total >= stats.done) {
    auto left = static_cast<std::uint64_t>(
        std::ceil(static_cast<double>(*stats.expected_total - stats.done) / rate));
    fmt::format_to(out, ", {}:{:02} left", left / 60, left % 60);
  }
  return line;
}

ProgressLine::ProgressLine(std::FILE* out, std::chrono::milliseconds delay,
                           std::chrono::milliseconds interval)
    : out_(out), delay_(delay), interval_(interval) {}

void ProgressLine::update(const ProgressStats& stats, Clock::time_point now) {
  if (stats.elapsed < delay_) return;
  if (last_draw_ && now - *last_draw_ < interval_) return;
  last_draw_ = now;
  drawn_ = true;
  // Carriage return, the line, then "erase to end of line" for a shorter line than the last.
  fmt::print(out_, "\r{}\x1b[K", format_progress(stats));
  std::fflush(out_);
}

void ProgressLine::clear() {
  if (!drawn_) return;
  drawn_ = false;
  fmt::print(out_, "\r\x1b[K");
  std::fflush(out_);
}

}  // namespace resolver::client

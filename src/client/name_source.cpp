#include "resolver/client/name_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace resolver::client {

NextName NameList::next(const std::function<void()>& /*wake*/) {
  if (position_ == names_.size()) return {NextName::Kind::End, {}};
  return {NextName::Kind::Name, names_[position_++]};
}

std::optional<std::string_view> name_from_line(std::string_view line) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v'; };
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && blank(line.back())) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  return line;
}

LineReader::LineReader(int fd, bool owns_fd, std::size_t capacity)
    : fd_(fd), owns_fd_(owns_fd), capacity_(capacity == 0 ? 1 : capacity) {
  struct stat status {};
  if (fstat(fd_, &status) == 0 && S_ISREG(status.st_mode)) {
    total_bytes_ = static_cast<std::uint64_t>(status.st_size);
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { read_loop(); });
}

LineReader::~LineReader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(stop_fd_);
  if (owns_fd_) close(fd_);
}

std::string LineReader::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

NextName LineReader::next(const std::function<void()>& wake) {
  std::unique_lock lock(mutex_);
  if (!queue_.empty()) {
    NextName next{NextName::Kind::Name, std::move(queue_.front())};
    queue_.pop_front();
    lock.unlock();
    space_.notify_one();
    return next;
  }
  if (ended_) return {NextName::Kind::End, {}};
  wake_ = wake;
  return {NextName::Kind::NotYet, {}};
}

void LineReader::deliver_line(std::string_view line) {
  auto name = name_from_line(line);
  if (!name) return;
  std::function<void()> wake;
  {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [this] { return queue_.size() < capacity_ || stopping_; });
    if (stopping_) return;
    queue_.emplace_back(*name);
    wake.swap(wake_);
  }
  ++names_read_;
  if (wake) wake();
}

void LineReader::finish(std::string error) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
    error_ = std::move(error);
    wake.swap(wake_);
  }
  if (wake) wake();
}

void LineReader::read_loop() {
  std::array<char, 65536> buffer{};
  std::string line;
  bool line_too_long = false;  // the rest of an over-long line is skipped
  for (;;) {
    std::array<pollfd, 2> fds{{{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return finish(std::strerror(errno));
    }
    if (fds[1].revents != 0) return;  // stopping: nobody wants the rest
    ssize_t count = read(fd_, buffer.data(), buffer.size());
    if (count < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return finish(std::strerror(errno));
    }
    if (count == 0) {
      deliver_line(line);
      return finish({});
    }
    bytes_read_ += static_cast<std::uint64_t>(count);
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(count));
    while (!chunk.empty()) {
      auto newline = chunk.find('\n');
      auto piece = chunk.substr(0, newline);
      if (!line_too_long) {
        line.append(piece.substr(0, kMaxLineLength - line.size()));
        line_too_long = line.size() == kMaxLineLength;
      }
      if (newline == std::string_view::npos) break;
      chunk.remove_prefix(newline + 1);
      deliver_line(line);
      line.clear();
      line_too_long = false;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
}

}  // namespace resolver::client

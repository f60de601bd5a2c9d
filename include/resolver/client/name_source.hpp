// Where a batch gets its names: a fixed list (the command line) or lines read from a file
// descriptor (stdin or `-f FILE`).
//
// The batch pulls names on its own thread and must never block on input: a script that
// writes one name and waits for its answer before writing the next (a coprocess) would
// deadlock. So LineReader reads on a thread of its own, into a bounded queue (memory stays
// flat however long the input is), and wakes the batch when a name arrives.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace resolver::client {

struct NextName {
  enum class Kind { Name, NotYet, End };
  Kind kind = Kind::End;
  std::string name;
};

class NameSource {
 public:
  virtual ~NameSource() = default;
  // Called on the batch's thread. After NotYet the source calls `wake` once (from any thread)
  // when a name or the end is available; `wake` stays valid until End has been returned.
  virtual NextName next(const std::function<void()>& wake) = 0;
};

// The names given on the command line, as they are (no trimming).
class NameList : public NameSource {
 public:
  explicit NameList(std::vector<std::string> names) : names_(std::move(names)) {}
  NextName next(const std::function<void()>& wake) override;

 private:
  std::vector<std::string> names_;
  std::size_t position_ = 0;
};

// The name a line of input holds: the line without surrounding blanks (and CR); nullopt for
// blank lines and `#` comment lines.
std::optional<std::string_view> name_from_line(std::string_view line);

// Lines longer than this are cut here (no host name comes close: at most 253 characters).
inline constexpr std::size_t kMaxLineLength = 1024;

class LineReader : public NameSource {
 public:
  // Reads `fd` until end of file; closes it at the end when `owns_fd`. At most `capacity`
  // names wait in the queue.
  LineReader(int fd, bool owns_fd, std::size_t capacity = 4096);
  ~LineReader() override;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  NextName next(const std::function<void()>& wake) override;

  // For the progress line, readable from any thread.
  std::uint64_t bytes_read() const { return bytes_read_.load(); }
  std::uint64_t names_read() const { return names_read_.load(); }
  // The size of the input when it is a regular file, else nullopt.
  std::optional<std::uint64_t> total_bytes() const { return total_bytes_; }
  // Set when reading failed (the names before the failure are still delivered).
  std::string error() const;

 private:
  void read_loop();
  void deliver_line(std::string_view line);
  void finish(std::string error);

  int fd_;
  bool owns_fd_;
  int stop_fd_ = -1;  // an eventfd that interrupts the reading thread's poll()
  std::size_t capacity_;
  std::optional<std::uint64_t> total_bytes_;
  std::atomic<std::uint64_t> bytes_read_{0};
  std::atomic<std::uint64_t> names_read_{0};

  mutable std::mutex mutex_;
  std::condition_variable space_;  // the queue has room, or stopping
  std::deque<std::string> queue_;
  bool ended_ = false;
  bool stopping_ = false;
  std::string error_;
  std::function<void()> wake_;  // set while the batch waits for a name
  std::thread thread_;
};

}  // namespace resolver::client

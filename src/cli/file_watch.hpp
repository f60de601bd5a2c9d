// FileWatch: `resolver server --watch`, a poll of the files the server answers from.
//
// Each file's modification time and size are checked once a second: polling also sees an
// editor's rename-over-save, which an inotify watch on the file itself would lose.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace resolver::cli {

class FileWatch {
 public:
  // `changed` runs on `io`'s thread with the path of a file that changed; once per poll at
  // most, however many changed (the reload reads them all).
  FileWatch(boost::asio::io_context& io, std::vector<std::string> paths,
            std::function<void(const std::string&)> changed);

 private:
  // What is compared: a change of either means the file was rewritten or replaced.
  struct Stamp {
    std::filesystem::file_time_type modified;
    std::uintmax_t size = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  static std::optional<Stamp> stamp(const std::string& path);
  void schedule();

  boost::asio::steady_timer timer_;
  std::vector<std::string> paths_;
  std::function<void(const std::string&)> changed_;
  std::vector<std::optional<Stamp>> last_;  // by path
};

}  // namespace resolver::cli

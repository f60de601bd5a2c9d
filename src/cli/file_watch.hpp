// FileWatch: `resolver server --watch`, a poll of the files the server answers from.
//
// Each path is resolved and its file's identity, size and times checked once a second. A poll
// through the path sees what an inotify watch on the file itself would lose: an editor's
// rename-over-save, and a Kubernetes ConfigMap update, where `records.txt` is a symlink into
// `..data`, itself a symlink that the kubelet renames over with one pointing at a new directory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <ctime>
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
  // What is compared. A replaced file is another inode (a ConfigMap swap, rename-over-save)
  // even when its size and modification time match the old one's, which a copy that keeps
  // times, or two writes within the clock's tick, can give; the change time catches rewrites
  // in place, as no tool can set it back.
  struct Stamp {
    std::uintmax_t device = 0;
    std::uintmax_t inode = 0;
    std::intmax_t size = 0;
    std::timespec modified{};
    std::timespec changed{};
    static bool same_time(const std::timespec& a, const std::timespec& b) {
      return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
    }
    friend bool operator==(const Stamp& a, const Stamp& b) {
      return a.device == b.device && a.inode == b.inode && a.size == b.size &&
             same_time(a.modified, b.modified) && same_time(a.changed, b.changed);
    }
  };
  static std::optional<Stamp> stamp(const std::string& path);
  void schedule();

  boost::asio::steady_timer timer_;
  std::vector<std::string> paths_;
  std::function<void(const std::string&)> changed_;
  std::vector<std::optional<Stamp>> last_;  // by path
};

}  // namespace resolver::cli

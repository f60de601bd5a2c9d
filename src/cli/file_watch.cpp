#include "file_watch.hpp"

#include <sys/stat.h>

#include <chrono>

namespace resolver::cli {
FileWatch::FileWatch(boost::asio::io_context& io, std::vector<std::string> paths,
                     std::function<void(const std::string&)> changed)
    : timer_(io), paths_(std::move(paths)), changed_(std::move(changed)) {
  for (const auto& path : paths_) last_.push_back(stamp(path));
  schedule();
}

std::optional<FileWatch::Stamp> FileWatch::stamp(const std::string& path) {
  // stat, not lstat: every symlink on the way is followed afresh, so a swapped `..data` link
  // leads to the new file.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return Stamp{static_cast<std::uintmax_t>(status.st_dev),
               static_cast<std::uintmax_t>(status.st_ino),
               static_cast<std::intmax_t>(status.st_size), status.st_mtim, status.st_ctim};
}

void FileWatch::schedule() {
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    const std::string* first_changed = nullptr;
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      auto now = stamp(paths_[i]);
      // A file that is gone for a moment (mid-replace, or a dangling link while a ConfigMap
      // key is removed) is not a change until it is back.
      if (now && now != last_[i]) {
        last_[i] = now;
        if (first_changed == nullptr) first_changed = &paths_[i];
      }
    }
    if (first_changed != nullptr) changed_(*first_changed);
    schedule();
  });
}

}  // namespace resolver::cli

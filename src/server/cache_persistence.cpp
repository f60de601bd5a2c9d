#include "resolver/server/cache_persistence.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "resolver/cache/cache_file.hpp"

namespace resolver::server {
namespace {

std::string system_error(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string directory_of(const std::string& path) {
  auto directory = std::filesystem::path(path).parent_path().string();
  return directory.empty() ? "." : directory;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Writes `text` to `temp` and makes it durable; on failure `temp` is removed.
bool write_durably(const std::string& temp, std::string_view text, std::string& error) {
  // 0600: the file lists the names the clients asked for. O_NOFOLLOW: a symlink planted at the
  // temporary name must not redirect the write.
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = system_error(temp + ": cannot create");
    return false;
  }
  bool ok = write_all(fd, text);
  if (!ok) error = system_error(temp + ": write");
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    error = system_error(temp + ": fsync");
  }
  // close reports write-back errors on some file systems (NFS), so its result counts too.
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = system_error(temp + ": close");
  }
  if (!ok) ::unlink(temp.c_str());
  return ok;
}

// Makes a rename in `directory` durable: without it, a power cut can bring the old file back.
bool sync_directory(const std::string& directory, std::string& error) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    error = system_error(directory + ": fsync");
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace

std::optional<std::size_t> save_cache_file(const cache::Cache& cache, const std::string& path,
                                           std::string& error) {
  auto steady_now = cache::Clock::now();
  auto wall_now = cache::WallClock::now();
  auto entries = cache.entries(steady_now);
  std::size_t skipped = 0;
  std::string text = cache::encode_cache_file(entries, steady_now, wall_now, &skipped);

  std::string temp = path + ".tmp";
  if (!write_durably(temp, text, error)) return std::nullopt;
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    error = system_error("rename " + temp + " to " + path);
    ::unlink(temp.c_str());
    return std::nullopt;
  }
  if (!sync_directory(directory_of(path), error)) return std::nullopt;
  return entries.size() - skipped;
}

std::size_t load_cache_file(cache::Cache& cache, const std::string& path, std::string& error) {
  error.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      error = system_error("cannot read");
      return 0;
    }
    std::error_code ignored;  // a directory that cannot be examined counts as missing
    if (auto directory = directory_of(path); !std::filesystem::is_directory(directory, ignored)) {
      // No file yet is normal; no directory means every save would fail: say so now.
      error = "directory " + directory + " does not exist, so the cache cannot be saved";
    }
    return 0;
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = system_error("cannot read");
      ::close(fd);
      return 0;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);

  auto steady_now = cache::Clock::now();
  auto parse = cache::decode_cache_file(text, steady_now, cache::WallClock::now());
  if (!parse.ok()) {
    error = parse.error;
    return 0;
  }
  std::size_t before = cache.size();
  for (const auto& entry : parse.entries) cache.restore(entry, steady_now);
  return cache.size() - before;
}

CachePersistence::CachePersistence(boost::asio::io_context& io, const cache::Cache& cache,
                                   std::string path, std::chrono::seconds interval)
    : timer_(io), cache_(cache), path_(std::move(path)), interval_(interval) {
  schedule();
}

std::optional<std::size_t> CachePersistence::save(bool announce) {
  std::lock_guard lock(saving_);
  std::string error;
  auto saved = save_cache_file(cache_, path_, error);
  if (!saved) {
    spdlog::error("cache not saved: {}", error);
  } else {
    spdlog::log(announce ? spdlog::level::info : spdlog::level::debug,
                "saved {} cache entries to {}", *saved, path_);
  }
  return saved;
}

void CachePersistence::schedule() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    save(false);
    schedule();
  });
}

}  // namespace resolver::server

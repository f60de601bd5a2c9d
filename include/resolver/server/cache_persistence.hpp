// Cache persistence: the cache file (cache/cache_file.hpp) on disk.
//
// Saving never leaves a half-written file behind: the contents go to PATH.tmp in the same
// directory, are fsync'ed, renamed over PATH, and the directory is fsync'ed so the rename
// itself survives a power cut. Loading restores what the file holds into the cache; a missing
// file is an empty cache, a corrupt or truncated one is reported and nothing of it is used.
// Neither is ever fatal: the cache is an optimisation, the server runs without it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "resolver/cache/cache.hpp"

namespace resolver::server {

// Returns the number of entries written, or nullopt with `error` saying what failed.
std::optional<std::size_t> save_cache_file(const cache::Cache& cache, const std::string& path,
                                           std::string& error);

// Restores the file's entries into `cache` and returns how many entries the cache gained (all
// it took when it starts empty; entries past max_stale and those it refuses are not taken).
// A missing file gives 0 and no error (unless its directory is missing too: then no save could
// work); any other problem gives 0 and `error`, and the cache is left as it was.
std::size_t load_cache_file(cache::Cache& cache, const std::string& path, std::string& error);

// Saves the cache every `interval` on `io`, and on request (at shutdown). Failures are logged
// and the next attempt comes at the next interval.
class CachePersistence {
 public:
  static constexpr std::chrono::seconds kDefaultInterval{300};

  CachePersistence(boost::asio::io_context& io, const cache::Cache& cache, std::string path,
                   std::chrono::seconds interval = kDefaultInterval);

  // Saves now and logs the outcome: at info level when `announce` (at shutdown), else at debug;
  // failures always as errors. Safe from another thread than io's: saves never overlap.
  std::optional<std::size_t> save(bool announce);

 private:
  void schedule();

  boost::asio::steady_timer timer_;
  const cache::Cache& cache_;
  std::string path_;
  std::chrono::seconds interval_;
  std::mutex saving_;  // one writer of PATH.tmp at a time
};

}  // namespace resolver::server

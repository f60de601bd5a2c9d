// The cache file: the cache's entries as text, so a restart does not start from an empty cache.
//
// Pure encode/decode, no I/O (server/cache_persistence.hpp reads and writes the file):
//
//   resolver-cache 1                           the format and its version
//   EXPIRES LIFETIME MESSAGE                   one line per entry
//   end COUNT CHECKSUM                         entry lines, FNV-1a 64 of all bytes before it
//
// EXPIRES is the entry's expiry in wall-clock milliseconds since the Unix epoch (the steady
// clock of one process means nothing to the next), LIFETIME the seconds it was given, MESSAGE
// the lower-case hex of a DNS response to the entry's question holding its answer with the
// TTLs as received. The message is read back with the same parser as a parent's reply
// (parse_upstream_reply), so nothing is restored that the parent could not have put in the
// cache. Any fault (wrong version, missing end line, checksum or count mismatch, a bad entry)
// rejects the whole file: a file that is truncated or corrupt is never half believed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/cache/cache.hpp"

namespace resolver::cache {

using WallClock = std::chrono::system_clock;

inline constexpr std::string_view kCacheFileMagic = "resolver-cache";
inline constexpr int kCacheFileVersion = 1;

// One entry as its line (without the newline), as the file and the shared cache in Redis
// (server/shared_cache.hpp) hold it; empty when the entry cannot be written (the file leaves
// it out). `scratch` (65535 bytes) is where the message is built; the other form allocates it.
std::string encode_cache_entry(const CacheEntry& entry, TimePoint steady_now,
                               WallClock::time_point wall_now, std::span<std::uint8_t> scratch);
std::string encode_cache_entry(const CacheEntry& entry, TimePoint steady_now,
                               WallClock::time_point wall_now);
// Reads one entry line into `entry`, its expiry translated as decode_cache_file does; returns
// what is wrong with it, empty when it was read.
std::string decode_cache_entry(std::string_view line, TimePoint steady_now,
                               WallClock::time_point wall_now, CacheEntry& entry);

// `steady_now` and `wall_now` are the same moment on both clocks: they translate the expiries.
// An entry whose message would not fit 65535 bytes is left out and counted in `skipped`.
std::string encode_cache_file(const std::vector<CacheEntry>& entries, TimePoint steady_now,
                              WallClock::time_point wall_now, std::size_t* skipped = nullptr);

struct CacheFileParse {
  std::vector<CacheEntry> entries;  // empty unless ok()
  std::string error;                // what is wrong and on which line; empty when ok()
  bool ok() const { return error.empty(); }
};

// Entries come back with their expiry on the steady clock, expired ones included (the cache
// decides what it still wants), and never later than `lifetime` from now: a wall clock set back
// since the file was written cannot make an entry outlive its TTL.
CacheFileParse decode_cache_file(std::string_view text, TimePoint steady_now,
                                 WallClock::time_point wall_now);

}  // namespace resolver::cache

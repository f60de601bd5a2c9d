// Fuzzes decode_cache_file: whatever it accepts must be within the limits the cache relies on,
// and must survive being written out and read back unchanged (the server rewrites the file it
// loaded at the next save, so a drift would compound with every restart).
//
// The checksum stops nearly every mutation at the end line, so each input is also tried with
// its end line replaced by a correct one: that is what lets the fuzzer reach the entry parser.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "resolver/cache/cache_file.hpp"

using namespace resolver;
using namespace std::chrono_literals;

namespace {

const cache::TimePoint kSteadyNow = cache::TimePoint{} + 1000h;
const cache::WallClock::time_point kWallNow = cache::WallClock::time_point{} + 1'700'000'000s;

bool same(const cache::CacheEntry& a, const cache::CacheEntry& b) {
  return a.question.name == b.question.name && a.question.type == b.question.type &&
         a.question.klass == b.question.klass && a.answer.rcode == b.answer.rcode &&
         a.answer.authoritative == b.answer.authoritative && a.answer.answers == b.answer.answers &&
         a.answer.authority == b.answer.authority && a.expires == b.expires &&
         a.lifetime == b.lifetime;
}

// The format's checksum, FNV-1a 64 (cache_file.hpp).
std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

// `text` without its last line if that is an end line, then a correct end line for the rest.
std::string sealed(std::string_view text) {
  std::string body(text);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  auto last_line = body.rfind('\n');
  last_line = last_line == std::string::npos ? 0 : last_line + 1;
  if (body.compare(last_line, 4, "end ") == 0) body.resize(last_line);
  if (!body.empty() && body.back() != '\n') body.push_back('\n');
  std::size_t lines = 0;
  for (char c : body) lines += c == '\n';
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx",
                static_cast<unsigned long long>(fnv1a64(body)));
  return body + "end " + std::to_string(lines > 0 ? lines - 1 : 0) + " " + checksum + "\n";
}

void check(std::string_view text) {
  auto parse = cache::decode_cache_file(text, kSteadyNow, kWallNow);
  if (!parse.ok()) {
    FUZZ_CHECK(parse.entries.empty());
    return;
  }
  for (const auto& entry : parse.entries) {
    FUZZ_CHECK(entry.expires <= kSteadyNow + entry.lifetime);
    FUZZ_CHECK(entry.question.name.wire().size() <= dns::DnsName::kMaxWireLength);
    for (const auto& record : entry.answer.answers) FUZZ_CHECK(record.ttl <= 0x7FFFFFFFu);
  }
  std::size_t skipped = 0;
  auto again = cache::decode_cache_file(
      cache::encode_cache_file(parse.entries, kSteadyNow, kWallNow, &skipped), kSteadyNow,
      kWallNow);
  FUZZ_CHECK(again.ok());
  // Only an adversarial entry whose rewritten message outgrows 64 KiB (owners compressed in
  // the input, written out in full) can be left out; then the rest must still match in order.
  FUZZ_CHECK(again.entries.size() + skipped == parse.entries.size());
  if (skipped == 0) {
    for (std::size_t i = 0; i < parse.entries.size(); ++i) {
      FUZZ_CHECK(same(parse.entries[i], again.entries[i]));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text);
  check(sealed(text));
  return 0;
}

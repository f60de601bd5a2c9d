// BigBufferRecycling: within its scope a large buffer freed is handed out again, cut to size;
// outside it, and for small buffers, nothing is kept.
#include "resolver/records/big_buffer.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/name.hpp"
#include "resolver/records/local_records.hpp"
#include "support/records.hpp"

using resolver::records::allocate_big;
using resolver::records::BigBufferRecycling;
using resolver::records::free_big;
using resolver::records::kHugePageThreshold;
using resolver::records::warm_big;

namespace {
resolver::dns::DnsName name(std::string_view text) {
  return resolver::dns::DnsName::from_text(text);
}
}  // namespace

constexpr std::size_t kPage = 4096;

TEST_CASE("while recycling, a large buffer freed is handed out again to a request it can hold",
          "[big_buffer]") {
  BigBufferRecycling recycling;
  void* first = allocate_big(2 * kHugePageThreshold);
  std::memset(first, 0xab, 2 * kHugePageThreshold);
  free_big(first, 2 * kHugePageThreshold);

  void* larger = allocate_big(3 * kHugePageThreshold);  // too large for the one kept
  CHECK(larger != first);
  void* smaller = allocate_big(kHugePageThreshold + 1);
  CHECK(smaller == first);
  // What the last user left is still there: the vector, not the allocator, initialises.
  CHECK(static_cast<unsigned char*>(smaller)[kHugePageThreshold] == 0xab);
  // Cut to size: the rest went back to the kernel, and only what is left is handed out again.
  unsigned char flag = 0;
  CHECK(::mincore(static_cast<char*>(first) + 2 * kPage + kHugePageThreshold, kPage, &flag) != 0);
  CHECK(errno == ENOMEM);
  free_big(smaller, kHugePageThreshold + 1);
  void* again = allocate_big(kHugePageThreshold + 1);
  CHECK(again == first);
  free_big(again, kHugePageThreshold + 1);
  free_big(larger, 3 * kHugePageThreshold);
}

TEST_CASE("while recycling, only the largest buffer freed is kept", "[big_buffer]") {
  BigBufferRecycling recycling;
  void* small = allocate_big(kHugePageThreshold);
  void* large = allocate_big(2 * kHugePageThreshold);
  free_big(small, kHugePageThreshold);
  free_big(large, 2 * kHugePageThreshold);
  // The smaller one went back to the kernel when the larger one came.
  unsigned char flag = 0;
  CHECK(::mincore(small, kPage, &flag) != 0);
  CHECK(errno == ENOMEM);
  void* again = allocate_big(kHugePageThreshold);
  CHECK(again == large);
  free_big(again, kHugePageThreshold);
}

TEST_CASE("only the outermost recycling scope keeps buffers, and only while it lives",
          "[big_buffer]") {
  void* kept = nullptr;
  {
    BigBufferRecycling outer;
    {
      BigBufferRecycling inner;
      kept = allocate_big(kHugePageThreshold);
      free_big(kept, kHugePageThreshold);
    }
    // The inner scope's end returned nothing: the outer one still holds the buffer.
    void* again = allocate_big(kHugePageThreshold);
    CHECK(again == kept);
    free_big(again, kHugePageThreshold);
  }
  // No scope: a buffer freed goes back to the kernel and a new one is mapped. Its address may
  // be the same, but its contents start from zero.
  auto* fresh = static_cast<unsigned char*>(allocate_big(kHugePageThreshold));
  std::memset(fresh, 0xcd, kHugePageThreshold);
  free_big(fresh, kHugePageThreshold);
  auto* next = static_cast<unsigned char*>(allocate_big(kHugePageThreshold));
  CHECK(next[0] == 0);
  CHECK(next[kHugePageThreshold - 1] == 0);
  free_big(next, kHugePageThreshold);
}

namespace {

// Whether each page of [memory, memory + bytes) is resident.
std::vector<bool> resident(void* memory, std::size_t bytes) {
  auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> flags((bytes + page - 1) / page);
  REQUIRE(::mincore(memory, bytes, flags.data()) == 0);
  std::vector<bool> result;
  for (auto flag : flags) result.push_back((flag & 1) != 0);
  return result;
}

bool kernel_populates() {
  alignas(4096) static char page[4096];
  return ::madvise(page, 0, MADV_POPULATE_WRITE) == 0;
}

bool may_use_several_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(::sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  return CPU_COUNT(&allowed) > 1;
}

}  // namespace

TEST_CASE("warm_big faults pages in on another CPU, keeping what was written, only in a scope",
          "[big_buffer]") {
  constexpr std::size_t kBytes = 4 * kHugePageThreshold;
  auto* memory = static_cast<unsigned char*>(allocate_big(kBytes));
  memory[0] = 0x5a;
  warm_big(memory, kBytes);  // no scope: nothing happens
  CHECK_FALSE(resident(memory, kBytes).back());
  {
    BigBufferRecycling recycling;
    memory[kBytes / 2] = 0x5b;
    warm_big(memory + kPage, kBytes - kPage);
    recycling.finish_warming();
    auto pages = resident(memory, kBytes);
    if (may_use_several_cpus() && kernel_populates()) {
      CHECK(std::count(pages.begin(), pages.end(), false) == 0);
    } else {  // pinned to one CPU (taskset -c 0), a warmer would only take turns with us; a
              // kernel before 5.14 cannot warm
      CHECK_FALSE(pages.back());
    }
  }
  CHECK(memory[0] == 0x5a);
  CHECK(memory[kBytes / 2] == 0x5b);
  CHECK(memory[kBytes - 1] == 0);
  free_big(memory, kBytes);
}

TEST_CASE("records built in recycled buffers are the records added", "[big_buffer]") {
  // A load recycles the text's buffer for the arena: the builder must not rely on zeroed
  // memory. 300,000 names make the names and the records large, so they are warmed ahead.
  BigBufferRecycling recycling;
  void* dirty = allocate_big(std::size_t{64} << 20);
  std::memset(dirty, 0xff, std::size_t{64} << 20);
  free_big(dirty, std::size_t{64} << 20);

  resolver::records::LocalRecordsBuilder builder;
  constexpr int kNames = 300000;
  for (int i = 0; i < kNames; ++i) {
    builder.add(test_support::address_record("h" + std::to_string(i) + ".test", "192.0.2.1"));
  }
  builder.add(test_support::address_record("h7.test", "192.0.2.2"));
  builder.add(test_support::address_record("h7.test", "192.0.2.1"));  // a duplicate
  auto records = std::move(builder).build();
  CHECK(records.name_count() == kNames);
  CHECK(records.record_count() == kNames + 1);
  CHECK(records.find(name("h299999.test")).size() == 1);
  CHECK(records.find(name("h7.test")).size() == 2);
  CHECK(records.find(name("h300000.test")).size() == 0);
}

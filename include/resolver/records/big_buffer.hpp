// BigBufferAllocator: the allocator of the record store's large buffers (the file text, the
// builder's names, records and table, the arena): tens of megabytes for a million names.
//
// An allocation of at least kHugePageThreshold bytes is mapped on its own and advised
// MADV_HUGEPAGE, so the kernel backs it with 2 MB pages where it can (Debian's default
// transparent_hugepage mode is "madvise": nothing is huge unless asked). Loading a
// 1,000,000-line file touched about 100 MB through 34,000 page faults with 4 kB pages, and a
// page fault costs microseconds in a VM: about half the load. Smaller allocations come from
// operator new. Contents start as the vector writes them, as with std::allocator: a recycled
// buffer (below) holds what its last user left there.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace resolver::records {

inline constexpr std::size_t kHugePageThreshold = std::size_t{4} << 20;

// Raw storage, as the allocator hands it out; throw std::bad_alloc.
void* allocate_big(std::size_t bytes);
void free_big(void* memory, std::size_t bytes) noexcept;

// While one lives, the large buffers this thread frees are kept mapped instead of returned to
// the kernel, and a large allocation of this thread takes one that is big enough (cut down to
// size). A load frees the file's text just before it lays out the arena, which is about as
// large: recycled, the arena's pages are ones the text already faulted in, where fresh ones
// cost the kernel a page fault and a page of zeroes each (after an idle spell, most of a
// 1,000,000-line load on the VM measured: bench/RESULTS.md). What is kept goes back to the
// kernel when the scope ends. Scopes nest; only the outermost one counts.
//
// At most one freed buffer is kept, the largest, so the peak resident size grows by at most
// that one. The scope also owns a thread that faults pages in ahead of use (warm_big), on
// another CPU, while this thread parses; what it warms ahead of the builder's two growing
// buffers (about 10 MB each) adds to the peak as well.
class BigBufferRecycling {
 public:
  BigBufferRecycling();
  ~BigBufferRecycling();
  BigBufferRecycling(const BigBufferRecycling&) = delete;
  BigBufferRecycling& operator=(const BigBufferRecycling&) = delete;

  // Waits until every range asked for so far is warm (for tests: a load never waits).
  void finish_warming();

  struct State;  // what the outermost scope keeps, and its warmer

 private:
  State* state_;  // null for a scope nested in another
};

// Asks the scope's thread to fault in [begin, begin + bytes) of a buffer from allocate_big
// (MADV_POPULATE_WRITE: the contents stay as they are); returns at once. Without a scope, on
// a kernel before Linux 5.14, in a process that may run on one CPU only, or when no thread
// can be started, it does nothing: the pages fault in when first written.
void warm_big(void* begin, std::size_t bytes) noexcept;

// How far ahead of its end a growing BigVector is kept warm, and in what steps (a huge page).
inline constexpr std::size_t kWarmStep = std::size_t{2} << 20;
inline constexpr std::size_t kWarmAhead = 4 * kWarmStep;

// Tracks one growing buffer: call keep_ahead(data, size, capacity) as it grows, and the pages
// up to kWarmAhead bytes past its end are warmed before it gets there.
class WarmAhead {
 public:
  void keep_ahead(const void* data, std::size_t size, std::size_t capacity) {
    if (capacity < kHugePageThreshold) return;  // from operator new: nothing to warm
    if (data != base_) {  // first call, or the buffer moved: start from where it is
      base_ = data;
      warmed_ = size;
    }
    while (warmed_ < size + kWarmAhead && warmed_ < capacity) {
      std::size_t end = warmed_ + kWarmStep < capacity ? warmed_ + kWarmStep : capacity;
      warm_big(static_cast<char*>(const_cast<void*>(data)) + warmed_, end - warmed_);
      warmed_ = end;
    }
  }
  void forget() { *this = {}; }  // the buffer is gone

 private:
  const void* base_ = nullptr;
  std::size_t warmed_ = 0;  // bytes from base_ already asked for
};

template <typename T>
struct BigBufferAllocator {
  using value_type = T;
  BigBufferAllocator() = default;
  template <typename U>
  BigBufferAllocator(const BigBufferAllocator<U>&) noexcept {}  // NOLINT: converting, as required

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_big(n * sizeof(T)));
  }
  void deallocate(T* memory, std::size_t n) noexcept { free_big(memory, n * sizeof(T)); }
  template <typename U>
  bool operator==(const BigBufferAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using BigVector = std::vector<T, BigBufferAllocator<T>>;

// A byte buffer of a fixed size from allocate_big, for reading a whole file into.
struct BigFree {
  std::size_t bytes = 0;
  void operator()(char* memory) const noexcept { free_big(memory, bytes); }
};
using BigBytes = std::unique_ptr<char[], BigFree>;
inline BigBytes make_big_bytes(std::size_t bytes) {
  return BigBytes(static_cast<char*>(allocate_big(bytes)), BigFree{bytes});
}

}  // namespace resolver::records

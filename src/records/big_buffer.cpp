#include "resolver/records/big_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace resolver::records {
namespace {

struct Kept {
  void* memory;
  std::size_t mapped;  // whole pages
};

// The buffers kept by this thread's outermost BigBufferRecycling; null while there is none.
thread_local std::vector<Kept>* kept = nullptr;

std::size_t whole_pages(std::size_t bytes) {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

// The smallest kept buffer that holds `bytes`, cut down to them; null if none does.
void* take_kept(std::size_t bytes) {
  if (kept == nullptr) return nullptr;
  std::size_t needed = whole_pages(bytes);
  auto best = kept->end();
  for (auto it = kept->begin(); it != kept->end(); ++it) {
    if (it->mapped >= needed && (best == kept->end() || it->mapped < best->mapped)) best = it;
  }
  if (best == kept->end()) return nullptr;
  Kept taken = *best;
  kept->erase(best);
  if (taken.mapped > needed) {
    ::munmap(static_cast<char*>(taken.memory) + needed, taken.mapped - needed);
  }
  return taken.memory;
}

}  // namespace

BigBufferRecycling::BigBufferRecycling() : outermost_(kept == nullptr) {
  if (outermost_) kept = new std::vector<Kept>();
}

BigBufferRecycling::~BigBufferRecycling() {
  if (!outermost_) return;
  for (const auto& buffer : *kept) ::munmap(buffer.memory, buffer.mapped);
  delete kept;
  kept = nullptr;
}

void* allocate_big(std::size_t bytes) {
  if (bytes < kHugePageThreshold) return ::operator new(bytes);
  if (void* recycled = take_kept(bytes)) return recycled;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  // Advice, not a requirement: where the kernel has no huge page to give, 4 kB pages serve.
  (void)::madvise(memory, bytes, MADV_HUGEPAGE);
  return memory;
}

void free_big(void* memory, std::size_t bytes) noexcept {
  if (memory == nullptr) return;
  if (bytes < kHugePageThreshold) {
    ::operator delete(memory);
    return;
  }
  if (kept != nullptr) {
    try {
      kept->push_back({memory, whole_pages(bytes)});
      return;
    } catch (const std::bad_alloc&) {
      // No room to note it: return it to the kernel instead.
    }
  }
  ::munmap(memory, bytes);
}

}  // namespace resolver::records

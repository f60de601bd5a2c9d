#include "resolver/records/big_buffer.hpp"

#include <sys/mman.h>

namespace resolver::records {

void* allocate_big(std::size_t bytes) {
  if (bytes < kHugePageThreshold) return ::operator new(bytes);
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
  ::munmap(memory, bytes);
}

}  // namespace resolver::records

#include "resolver/records/big_buffer.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE  // Linux 5.14; glibc's headers have it since 2.35
#define MADV_POPULATE_WRITE 23
#endif

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace resolver::records {
namespace {

struct Kept {
  void* memory;
  std::size_t mapped;  // whole pages
};

std::size_t page_size() {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

std::size_t whole_pages(std::size_t bytes) {
  return (bytes + page_size() - 1) / page_size() * page_size();
}

bool several_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return true;  // assume so
  return CPU_COUNT(&allowed) > 1;
}

// Whether this kernel knows MADV_POPULATE_WRITE (Linux 5.14): it checks the advice before the
// range, and an empty range is then accepted.
bool kernel_populates() {
  static const bool known = [] {
    alignas(4096) static char page[4096];
    return ::madvise(page, 0, MADV_POPULATE_WRITE) == 0;
  }();
  return known;
}

// A thread that faults in the ranges it is given, in order. Started on the first one.
class Warmer {
 public:
  ~Warmer() { stop(); }

  void finish() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

  // What is still queued is not needed any more: drops it, and waits for the thread.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // Never throws: warming is an optimisation, and a load (a reload in a running server among
  // them) must not fail for want of a thread or a queue entry.
  void warm(void* begin, std::size_t bytes) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (off_ || stopping_) return;
      try {
        if (!thread_.joinable()) {
          // On a single CPU (a machine of one, or a process pinned to one) a second thread
          // only takes turns with the parse: the pages may as well fault in when written.
          if (!several_cpus() || !kernel_populates()) {
            off_ = true;
            return;
          }
          thread_ = std::thread([this] { run(); });
        }
        queue_.push_back({begin, bytes});
      } catch (const std::exception&) {
        off_ = true;  // no thread (EAGAIN, a task limit) or no memory: pages fault in as written
        return;
      }
    }
    wake_.notify_one();
  }

 private:
  struct Range {
    void* begin;
    std::size_t bytes;
  };

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      Range range = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      auto first = reinterpret_cast<std::uintptr_t>(range.begin) / page_size() * page_size();
      auto last = reinterpret_cast<std::uintptr_t>(range.begin) + range.bytes;
      // The result does not matter. The buffer may have changed hands since it was asked for:
      // a vector that grew leaves its old buffer kept, to be handed out again, and warming
      // leaves the contents of pages as they are; a kept buffer cut down to size has its tail
      // unmapped, and the kernel refuses that part. Either way nothing is lost.
      (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE);
      lock.lock();
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Range> queue_;
  bool busy_ = false;  // a range taken from the queue is being warmed
  bool stopping_ = false;
  bool off_ = false;  // one CPU, an old kernel, or no thread to be had
  std::thread thread_;
};

}  // namespace

struct BigBufferRecycling::State {
  // At most one buffer: the largest freed so far. Outgrown buffers of a vector growing by
  // doubling (a file read without a size hint) would otherwise all stay resident until the
  // load ends, where one is enough for what reuse is for: the text's pages for the arena.
  std::optional<Kept> kept;
  Warmer warmer;
};

namespace {

// The outermost BigBufferRecycling's state on this thread; null while there is none.
thread_local BigBufferRecycling::State* recycling = nullptr;

// The kept buffer, if it holds `bytes`, cut down to them; null otherwise.
void* take_kept(std::size_t bytes) {
  if (recycling == nullptr || !recycling->kept) return nullptr;
  std::size_t needed = whole_pages(bytes);
  Kept& kept = *recycling->kept;
  if (kept.mapped < needed) return nullptr;
  // The tail goes back to the kernel. Should that fail (splitting the mapping needs a map
  // entry: vm.max_map_count), the buffer stays kept, since free_big will unmap only `bytes`.
  if (kept.mapped > needed &&
      ::munmap(static_cast<char*>(kept.memory) + needed, kept.mapped - needed) != 0) {
    return nullptr;
  }
  void* memory = kept.memory;
  recycling->kept.reset();
  return memory;
}

}  // namespace

BigBufferRecycling::BigBufferRecycling() : state_(recycling == nullptr ? new State() : nullptr) {
  if (state_ != nullptr) recycling = state_;
}

BigBufferRecycling::~BigBufferRecycling() {
  if (state_ == nullptr) return;
  std::unique_ptr<State> ending(state_);
  if (recycling == state_) recycling = nullptr;
  ending->warmer.stop();  // before the buffer it may be warming is unmapped
  if (ending->kept) ::munmap(ending->kept->memory, ending->kept->mapped);
}

void BigBufferRecycling::finish_warming() {
  if (state_ != nullptr) state_->warmer.finish();
}

void warm_big(void* begin, std::size_t bytes) noexcept {
  if (recycling != nullptr && bytes != 0) recycling->warmer.warm(begin, bytes);
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
  std::size_t mapped = whole_pages(bytes);
  if (recycling != nullptr && (!recycling->kept || recycling->kept->mapped < mapped)) {
    if (recycling->kept) ::munmap(recycling->kept->memory, recycling->kept->mapped);
    recycling->kept = Kept{memory, mapped};
    return;
  }
  ::munmap(memory, bytes);
}

}  // namespace resolver::records

#include "resolver/records/big_buffer.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
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

  void warm(void* begin, std::size_t bytes) {
    {
      std::lock_guard lock(mutex_);
      if (unsupported_ || stopping_) return;
      if (!thread_.joinable()) {
        // On a single CPU (a machine of one, or a process pinned to one) a second thread
        // only takes turns with the parse: the pages may as well fault in when written.
        if (!several_cpus()) {
          unsupported_ = true;
          return;
        }
        thread_ = std::thread([this] { run(); });
      }
      queue_.push_back({begin, bytes});
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
      // The buffer may have changed hands since it was asked for: a vector that grew leaves
      // its old buffer kept, to be handed out again, and the contents of warmed pages stay
      // as they are; a kept buffer cut down to size has its tail unmapped, and the kernel
      // refuses that part. Either way nothing is lost. Where the kernel does not know the
      // advice (before Linux 5.14), pages fault in when written, as without a warmer.
      bool known =
          ::madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE) == 0 ||
          errno != EINVAL;
      lock.lock();
      busy_ = false;
      if (!known) unsupported_ = true;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Range> queue_;
  bool busy_ = false;  // a range taken from the queue is being warmed
  bool stopping_ = false;
  bool unsupported_ = false;
  std::thread thread_;
};

// The outermost BigBufferRecycling's state on this thread; null while there is none.
struct Recycling {
  std::vector<Kept> kept;
  Warmer warmer;
};
thread_local Recycling* recycling = nullptr;

// The smallest kept buffer that holds `bytes`, cut down to them; null if none does.
void* take_kept(std::size_t bytes) {
  if (recycling == nullptr) return nullptr;
  auto& kept = recycling->kept;
  std::size_t needed = whole_pages(bytes);
  auto best = kept.end();
  for (auto it = kept.begin(); it != kept.end(); ++it) {
    if (it->mapped >= needed && (best == kept.end() || it->mapped < best->mapped)) best = it;
  }
  if (best == kept.end()) return nullptr;
  Kept taken = *best;
  kept.erase(best);
  if (taken.mapped > needed) {
    ::munmap(static_cast<char*>(taken.memory) + needed, taken.mapped - needed);
  }
  return taken.memory;
}

}  // namespace

BigBufferRecycling::BigBufferRecycling() : outermost_(recycling == nullptr) {
  if (outermost_) recycling = new Recycling();
}

BigBufferRecycling::~BigBufferRecycling() {
  if (!outermost_) return;
  std::unique_ptr<Recycling> ending(std::exchange(recycling, nullptr));
  ending->warmer.stop();  // before the buffers it may be warming are unmapped
  for (const auto& buffer : ending->kept) ::munmap(buffer.memory, buffer.mapped);
}

void BigBufferRecycling::finish_warming() {
  if (outermost_) recycling->warmer.finish();
}

void warm_big(void* begin, std::size_t bytes) {
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
  if (recycling != nullptr) {
    try {
      recycling->kept.push_back({memory, whole_pages(bytes)});
      return;
    } catch (const std::bad_alloc&) {
      // No room to note it: return it to the kernel instead.
    }
  }
  ::munmap(memory, bytes);
}

}  // namespace resolver::records

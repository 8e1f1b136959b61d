#include "sim/frame_pool.h"

#include <array>
#include <new>

namespace stormsim::sim::detail {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPooled = false;
#else
constexpr bool kPooled = true;
#endif
#else
constexpr bool kPooled = true;
#endif

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;  // frames up to 2 KiB

struct FreeBlock {
  FreeBlock* next;
};

// Set once the thread's pool is gone (frames may still die later, in other
// thread-local destructors): trivially destructible, so always readable.
thread_local bool pool_gone = false;

struct Pool {
  std::array<FreeBlock*, kClasses> free{};
  ~Pool() {
    pool_gone = true;
    for (FreeBlock*& head : free) {
      while (head != nullptr) {
        FreeBlock* b = head;
        head = b->next;
        ::operator delete(b);
      }
    }
  }
};

thread_local Pool pool;

// The class of a frame of `size` bytes: kClasses or more when it is too large.
std::size_t size_class(std::size_t size) {
  return size == 0 ? 0 : (size - 1) / kGranule;
}

}  // namespace

bool frames_pooled() {
  return kPooled;
}

void* allocate_frame(std::size_t size) {
  const std::size_t c = size_class(size);
  if (!kPooled || c >= kClasses)
    return ::operator new(size);
  if (!pool_gone) {
    if (FreeBlock* b = pool.free[c]) {
      pool.free[c] = b->next;
      return b;
    }
  }
  // Always the whole class, so that any thread's list can take it back.
  return ::operator new((c + 1) * kGranule);
}

void free_frame(void* frame, std::size_t size) noexcept {
  const std::size_t c = size_class(size);
  if (!kPooled || c >= kClasses || pool_gone) {
    ::operator delete(frame);
    return;
  }
  auto* b = static_cast<FreeBlock*>(frame);
  b->next = pool.free[c];
  pool.free[c] = b;
}

}  // namespace stormsim::sim::detail

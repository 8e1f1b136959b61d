// Coroutine frames from per-thread free lists.
//
// A simulation creates and destroys millions of short-lived coroutine frames
// (a transfer, a chunk, a chain hop, a message each have one), and through
// malloc they cost about a tenth of a large run. Frames of up to 2 KiB come
// from free lists of 64-byte size classes instead, kept per thread and given
// back to the system when the thread ends; larger ones use operator new. A
// frame freed on another thread than the one that made it joins that
// thread's lists. Under AddressSanitizer every frame goes through operator
// new, so that use after free is still caught.
#pragma once

#include <cstddef>

namespace stormsim::sim::detail {

void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;
// False under AddressSanitizer, where every frame uses operator new.
bool frames_pooled();

// Inherited by promise types: their frames come from the pool.
struct PooledFrame {
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }
};

}  // namespace stormsim::sim::detail

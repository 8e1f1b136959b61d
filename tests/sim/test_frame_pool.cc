// Coroutine frames from per-thread free lists: reuse by size class, frames
// crossing threads, and coroutines running on pooled frames.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "sim/engine.h"
#include "sim/frame_pool.h"
#include "sim/task.h"
#include "sim/when.h"

namespace {

using stormsim::sim::Engine;
using stormsim::sim::Task;
using stormsim::sim::detail::allocate_frame;
using stormsim::sim::detail::frames_pooled;
using stormsim::sim::detail::free_frame;

Task<int> leaf(Engine& e, int i) {
  co_await e.sleep(stormsim::sim::Time::from_ns(i % 7));
  co_return i;
}

Task<void> tree(Engine& e, int depth, std::int64_t& sum) {
  if (depth == 0) {
    sum += co_await leaf(e, static_cast<int>(sum % 1000) + 1);
    co_return;
  }
  std::vector<Task<void>> kids;
  for (int k = 0; k < 3; ++k)
    kids.push_back(tree(e, depth - 1, sum));
  co_await stormsim::sim::when_all(std::move(kids));
}

}  // namespace

TEST_CASE("frames of one size class are reused, last freed first", "[sim][frames]") {
  // Sizes 1..64 share a class, 65..128 the next; 2,049 bytes and up are not
  // pooled.
  void* a = allocate_frame(40);
  void* b = allocate_frame(64);
  void* c = allocate_frame(65);
  std::memset(a, 1, 40);
  std::memset(b, 2, 64);
  std::memset(c, 3, 65);
  free_frame(a, 40);
  free_frame(b, 64);
  free_frame(c, 65);
  void* again_b = allocate_frame(1);
  void* again_a = allocate_frame(64);
  void* again_c = allocate_frame(128);
  if (frames_pooled()) {
    CHECK(again_b == b);
    CHECK(again_a == a);
    CHECK(again_c == c);
  }
  std::memset(again_c, 4, 128);  // the whole class is there to use
  free_frame(again_a, 64);
  free_frame(again_b, 1);
  free_frame(again_c, 128);

  void* big = allocate_frame(2049);
  std::memset(big, 5, 2049);
  free_frame(big, 2049);
}

TEST_CASE("a frame freed on another thread joins that thread's lists", "[sim][frames]") {
  void* made = nullptr;
  std::thread([&] { made = allocate_frame(200); }).join();
  free_frame(made, 200);
  void* mine = allocate_frame(256);  // same class: 193..256 bytes
  if (frames_pooled())
    CHECK(mine == made);
  free_frame(mine, 256);

  // And the other way: made here, freed by a thread that then ends.
  void* here = allocate_frame(300);
  std::thread([&] { free_frame(here, 300); }).join();
}

TEST_CASE("coroutines on pooled frames give the same results run after run", "[sim][frames]") {
  // 3^7 leaves: thousands of frames made and freed, reused between runs.
  std::vector<std::int64_t> sums;
  for (int run = 0; run < 3; ++run) {
    Engine e;
    std::int64_t sum = 0;
    e.spawn(tree(e, 7, sum));
    e.run();
    sums.push_back(sum);
  }
  CHECK(sums[0] == sums[1]);
  CHECK(sums[1] == sums[2]);
  CHECK(sums[0] > 0);
}

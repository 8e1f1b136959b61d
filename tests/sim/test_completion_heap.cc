// CompletionHeap against a sorted reference: the top is always the earliest
// (time, order of setting) entry, through sets, moves and erasures.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "sim/flow/completion_heap.h"

namespace {

using stormsim::sim::flow::CompletionHeap;

}  // namespace

TEST_CASE("equal times come out in the order they were set", "[flow]") {
  CompletionHeap h;
  h.set(7, 100);
  h.set(3, 100);
  h.set(5, 50);
  h.set(9, 100);
  h.set(7, 100);  // set again: now after 3 and 9
  std::vector<std::uint32_t> order;
  while (!h.empty()) {
    order.push_back(h.top());
    h.erase(h.top());
  }
  CHECK(order == std::vector<std::uint32_t>{5, 3, 9, 7});
}

TEST_CASE("negative and huge times order as integers", "[flow]") {
  CompletionHeap h;
  h.set(0, INT64_MAX);
  h.set(1, -5);
  h.set(2, 0);
  CHECK(h.top() == 1);
  CHECK(h.top_time() == -5);
  h.erase(1);
  CHECK(h.top() == 2);
  h.erase(2);
  CHECK(h.top_time() == INT64_MAX);
  h.erase(0);
  CHECK(h.empty());
  h.erase(0);  // erasing an absent flow is a no-op
  CHECK(!h.contains(0));
}

TEST_CASE("random sets, moves and erasures match a sorted reference", "[flow]") {
  std::mt19937_64 rng(42);
  CompletionHeap h;
  // flow -> (time, seq) in the reference; seq counts sets as the heap does.
  std::map<std::uint32_t, std::pair<std::int64_t, std::uint64_t>> ref;
  std::uint64_t seq = 0;
  for (int step = 0; step < 20000; ++step) {
    const auto flow = static_cast<std::uint32_t>(rng() % 300);
    if (rng() % 3 == 0) {
      h.erase(flow);
      ref.erase(flow);
    } else {
      // Few distinct times, so that ties are common.
      const auto t = static_cast<std::int64_t>(rng() % 50);
      h.set(flow, t);
      ref[flow] = {t, seq++};
    }
    REQUIRE(h.size() == ref.size());
    if (ref.empty())
      continue;
    auto best = ref.begin();
    for (auto it = ref.begin(); it != ref.end(); ++it) {
      if (it->second < best->second)
        best = it;
    }
    REQUIRE(h.top() == best->first);
    REQUIRE(h.top_time() == best->second.first);
    REQUIRE(h.contains(flow) == ref.contains(flow));
  }
}

// Implicit d-ary min-heap over (time, push sequence): the textbook baseline.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/event_queue/queue_entry.h"

namespace stormsim::sim::queues {

// Array-backed d-ary heap; a 64-bit push counter breaks ties so equal times pop FIFO.
template <unsigned kArity>
class DaryHeap {
  static_assert(kArity >= 2);

 public:
  void push(std::int64_t time, std::uint32_t payload) {
    heap_.emplace_back();
    sift_up(heap_.size() - 1, Node{time, next_seq_++, payload});
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  QueueEntry top() const {
    assert(!empty());
    return {heap_.front().time, heap_.front().payload};
  }
  void pop() {
    assert(!empty());
    const Node last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      // Floyd's bottom-up deletion: `last` came from the bottom and almost
      // always belongs near it, so walking the hole down to a leaf without
      // comparing against `last`, then sifting it up, saves a compare per level.
      sift_up(sink_hole_to_leaf(), last);
    }
  }
  void clear() {
    heap_.clear();
    next_seq_ = 0;
  }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  struct Node {
    std::int64_t time;
    std::uint64_t seq;
    std::uint32_t payload;
  };

  static bool before(const Node& a, const Node& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }

  // Moves the smaller child up into the hole, level by level from the root;
  // returns the leaf where the hole ends.
  std::size_t sink_hole_to_leaf() {
    const std::size_t n = heap_.size();
    std::size_t hole = 0;
    for (;;) {
      const std::size_t first = hole * kArity + 1;
      if (first >= n) {
        return hole;
      }
      const std::size_t end = first + kArity < n ? first + kArity : n;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (before(heap_[c], heap_[best])) {
          best = c;
        }
      }
      heap_[hole] = heap_[best];
      hole = best;
    }
  }

  void sift_up(std::size_t hole, const Node& node) {
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / kArity;
      if (!before(node, heap_[parent])) {
        break;
      }
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = node;
  }

  std::vector<Node> heap_;
  std::uint64_t next_seq_ = 0;
};

// Binary heap: the baseline every other design has to beat.
using BinaryHeap = DaryHeap<2>;
// 4-ary heap: half the depth of a binary heap, and the four children of a node
// share one or two cache lines.
using QuaternaryHeap = DaryHeap<4>;

}  // namespace stormsim::sim::queues

// Pairing heap over (time, push sequence), nodes in a pooled vector.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "sim/event_queue/queue_entry.h"

namespace stormsim::sim::queues {

// Pairing heap with two-pass deletion; nodes live in one vector and are linked
// by 32-bit indices, freed nodes are recycled, so a push never calls `new`.
class PairingHeap {
 public:
  void push(std::int64_t time, std::uint32_t payload) {
    const std::uint32_t n = allocate();
    nodes_[n] = Node{time, next_seq_++, payload, kNil, kNil};
    root_ = root_ == kNil ? n : meld(root_, n);
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  QueueEntry top() const {
    assert(!empty());
    return {nodes_[root_].time, nodes_[root_].payload};
  }
  void pop() {
    assert(!empty());
    const std::uint32_t old_root = root_;
    root_ = merge_pairs(nodes_[old_root].child);
    nodes_[old_root].sibling = free_;
    free_ = old_root;
    --size_;
  }
  void clear() {
    nodes_.clear();
    free_ = kNil;
    root_ = kNil;
    size_ = 0;
    next_seq_ = 0;
  }
  void reserve(std::size_t n) { nodes_.reserve(n); }

 private:
  static constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

  struct Node {
    std::int64_t time;
    std::uint64_t seq;
    std::uint32_t payload;
    std::uint32_t child;    // leftmost child
    std::uint32_t sibling;  // next sibling; in the free list, the next free node
  };

  bool before(std::uint32_t a, std::uint32_t b) const {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    return x.time < y.time || (x.time == y.time && x.seq < y.seq);
  }

  std::uint32_t allocate() {
    if (free_ != kNil) {
      const std::uint32_t n = free_;
      free_ = nodes_[n].sibling;
      return n;
    }
    assert(nodes_.size() < kNil);
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  // Links two roots (whose sibling fields are free to overwrite); returns the new root.
  std::uint32_t meld(std::uint32_t a, std::uint32_t b) {
    if (before(b, a)) {
      std::swap(a, b);
    }
    nodes_[b].sibling = nodes_[a].child;
    nodes_[a].child = b;
    nodes_[a].sibling = kNil;
    return a;
  }

  // Two-pass pairing: meld siblings pairwise left to right, then fold the
  // results right to left; this order is what gives the O(log n) amortized pop.
  std::uint32_t merge_pairs(std::uint32_t first) {
    pairs_.clear();
    while (first != kNil) {
      const std::uint32_t a = first;
      const std::uint32_t b = nodes_[a].sibling;
      if (b == kNil) {
        pairs_.push_back(a);
        break;
      }
      first = nodes_[b].sibling;
      pairs_.push_back(meld(a, b));
    }
    std::uint32_t root = kNil;
    for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it) {
      root = root == kNil ? *it : meld(*it, root);
    }
    return root;
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> pairs_;  // scratch for merge_pairs, kept to avoid reallocating
  std::uint32_t free_ = kNil;
  std::uint32_t root_ = kNil;
  std::size_t size_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace stormsim::sim::queues

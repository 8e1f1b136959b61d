// Radix heap: a monotone priority queue that buckets keys by their highest bit
// differing from the last minimum.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/event_queue/queue_entry.h"

namespace stormsim::sim::queues {

// Radix heap (Ahuja, Mehlhorn, Orlin, Tarjan, JACM 37(2), 1990) over 64-bit
// keys. Needs monotone pushes (time >= the last time popped), which a
// discrete-event engine guarantees. FIFO on ties holds by construction, with no
// sequence number: equal keys always share a bucket, buckets are appended to and
// redistributed in order, and bucket 0 (keys equal to the base) drains from the front.
class RadixHeap {
 public:
  void push(std::int64_t time, std::uint32_t payload) {
    const std::uint64_t key = to_key(time);
    assert(key >= base_ && "RadixHeap needs monotone pushes");
    const unsigned b = bucket_of(key);
    buckets_[b].push_back(Item{key, payload});
    nonempty_ |= bucket_bit(b);
    ++size_;
    // Update a cached minimum instead of dropping it, so a caller alternating
    // push and top() does not rescan a large bucket each time. A bucket below
    // the cached one was empty until now, so the new item is its minimum.
    if (min_index_ != kUnknown && b != 0 &&
        (b < min_bucket_ || (b == min_bucket_ && key < buckets_[b][min_index_].key))) {
      min_bucket_ = b;
      min_index_ = buckets_[b].size() - 1;
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  QueueEntry top() const {
    assert(!empty());
    const Item& item = front_empty() ? lowest_min() : buckets_[0][head_];
    return {from_key(item.key), item.payload};
  }
  void pop() {
    assert(!empty());
    if (front_empty()) {
      refill_front();
    }
    std::vector<Item>& front = buckets_[0];
    ++head_;
    --size_;
    if (head_ == front.size()) {
      front.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && 2 * head_ >= front.size()) {
      // Zero-delay chains keep appending to bucket 0 while it drains; drop the
      // consumed prefix so it cannot grow without bound.
      front.erase(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    for (std::vector<Item>& bucket : buckets_) {
      bucket.clear();
    }
    head_ = 0;
    base_ = 0;
    nonempty_ = 0;
    min_index_ = kUnknown;
    size_ = 0;
  }
  // A no-op: entries spread over buckets whose sizes cannot be foreseen, and
  // each bucket keeps its capacity once grown.
  void reserve(std::size_t /*n*/) {}

 private:
  struct Item {
    std::uint64_t key;
    std::uint32_t payload;
  };
  static constexpr unsigned kBuckets = 65;  // 0: key == base_; b: highest differing bit is b-1
  static constexpr std::size_t kCompactAfter = 4096;
  static constexpr std::size_t kKeptCapacity = 4096;  // items, 64 KiB
  static constexpr std::size_t kUnknown = std::numeric_limits<std::size_t>::max();

  unsigned bucket_of(std::uint64_t key) const {
    return static_cast<unsigned>(std::bit_width(key ^ base_));
  }
  // Bit b-1 of nonempty_ tracks bucket b; bucket 0 is tracked by its size.
  static std::uint64_t bucket_bit(unsigned b) { return b == 0 ? 0 : std::uint64_t{1} << (b - 1); }

  bool front_empty() const { return buckets_[0].empty(); }
  unsigned lowest_bucket() const { return static_cast<unsigned>(std::countr_zero(nonempty_)) + 1; }

  // The first smallest item of the lowest non-empty bucket (the first, so equal
  // keys keep push order), cached so that pop() after top() scans only once.
  const Item& lowest_min() const {
    if (min_index_ == kUnknown) {
      min_bucket_ = lowest_bucket();
      const std::vector<Item>& bucket = buckets_[min_bucket_];
      std::size_t best = 0;
      for (std::size_t i = 1; i < bucket.size(); ++i) {
        best = bucket[i].key < bucket[best].key ? i : best;
      }
      min_index_ = best;
    }
    return buckets_[min_bucket_][min_index_];
  }

  // Makes the smallest key the new base and spreads its bucket over the buckets
  // below. Only pop() does this, never top(): until the minimum is actually
  // popped the engine may still push keys between the last pop and it.
  void refill_front() {
    base_ = lowest_min().key;
    const unsigned b = min_bucket_;
    std::vector<Item>& source = buckets_[b];
    std::uint64_t filled = 0;
    for (const Item& item : source) {
      const unsigned target = bucket_of(item.key);
      buckets_[target].push_back(item);
      filled |= bucket_bit(target);
    }
    release_if_large(source);
    nonempty_ = (nonempty_ & ~bucket_bit(b)) | filled;
    min_index_ = kUnknown;
  }

  // A drained bucket keeps a small buffer for reuse but frees a large one:
  // keeping every bucket's largest size ever (the first pop after a bulk load
  // drains one that held everything) took 2.6x the memory with 1M pending, and
  // re-growing costs less than the redistribution that just emptied it.
  static void release_if_large(std::vector<Item>& bucket) {
    if (bucket.capacity() > kKeptCapacity) {
      std::vector<Item>().swap(bucket);
    } else {
      bucket.clear();
    }
  }

  std::array<std::vector<Item>, kBuckets> buckets_;
  std::size_t head_ = 0;  // next item of bucket 0
  // Key of bucket 0, the last minimum popped: a lower bound on every key held.
  // Starts (and restarts on clear) at the smallest key, INT64_MIN.
  std::uint64_t base_ = 0;
  std::uint64_t nonempty_ = 0;                // bit b-1 set iff bucket b >= 1 is non-empty
  mutable unsigned min_bucket_ = 0;           // see lowest_min()
  mutable std::size_t min_index_ = kUnknown;  // kUnknown: not computed since the last refill
  std::size_t size_ = 0;
};

}  // namespace stormsim::sim::queues

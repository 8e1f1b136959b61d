// Radix heap with 16-way digits: fewer, larger steps for each key on its way down.
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

// Radix heap over base-16 digits (the multi-level bucket idea of Cherkassky,
// Goldberg, Silverstein, SIAM J. Comput. 28(4), 1999). A key lives in the bucket
// of its highest digit that differs from the base (the last minimum popped),
// indexed by that digit's value, so it moves down at most 16 times instead of
// 64. Same contract and FIFO argument as RadixHeap: monotone pushes, equal keys
// always share a bucket, buckets append and redistribute in order.
class WideRadixHeap {
 public:
  void push(std::int64_t time, std::uint32_t payload) {
    const std::uint64_t key = to_key(time);
    assert(key >= base_ && "WideRadixHeap needs monotone pushes");
    ++size_;
    if (key == base_) {
      front_.push_back(Item{key, payload});
      return;
    }
    const unsigned b = bucket_of(key);
    buckets_[b].push_back(Item{key, payload});
    mark(b);
    // Update a cached minimum instead of dropping it, so a caller alternating
    // push and top() does not rescan a large bucket each time. A bucket below
    // the cached one was empty until now, so the new item is its minimum.
    if (min_index_ != kUnknown &&
        (b < min_bucket_ || (b == min_bucket_ && key < buckets_[b][min_index_].key))) {
      min_bucket_ = b;
      min_index_ = buckets_[b].size() - 1;
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  QueueEntry top() const {
    assert(!empty());
    const Item& item = front_.empty() ? lowest_min() : front_[head_];
    return {from_key(item.key), item.payload};
  }
  void pop() {
    assert(!empty());
    if (front_.empty()) {
      refill_front();
    }
    ++head_;
    --size_;
    if (head_ == front_.size()) {
      front_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && 2 * head_ >= front_.size()) {
      // Zero-delay chains keep appending to the front while it drains; drop the
      // consumed prefix so it cannot grow without bound.
      front_.erase(front_.begin(), front_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    front_.clear();
    for (std::vector<Item>& bucket : buckets_) {
      bucket.clear();
    }
    nonempty_ = {};
    head_ = 0;
    base_ = 0;
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
  static constexpr unsigned kDigitBits = 4;
  static constexpr unsigned kDigits = 1u << kDigitBits;
  static constexpr unsigned kLevels = 64 / kDigitBits;
  static constexpr unsigned kBuckets = kLevels * kDigits;
  static constexpr unsigned kMaskWords = kBuckets / 64;
  static constexpr std::size_t kCompactAfter = 4096;
  static constexpr std::size_t kKeptCapacity = 4096;  // items, 64 KiB
  static constexpr std::size_t kUnknown = std::numeric_limits<std::size_t>::max();

  // Level = highest differing digit, then that digit of the key: bucket order
  // is key order, since a key's digit there exceeds the base's.
  unsigned bucket_of(std::uint64_t key) const {
    const auto level = static_cast<unsigned>(std::bit_width(key ^ base_) - 1) / kDigitBits;
    const auto digit = static_cast<unsigned>(key >> (level * kDigitBits)) & (kDigits - 1);
    return level * kDigits + digit;
  }

  void mark(unsigned b) { nonempty_[b / 64] |= std::uint64_t{1} << (b % 64); }

  unsigned lowest_bucket() const {
    for (unsigned w = 0;; ++w) {
      if (nonempty_[w] != 0) {
        return w * 64 + static_cast<unsigned>(std::countr_zero(nonempty_[w]));
      }
    }
  }

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

  // Makes the smallest key the new base and spreads its bucket over the front
  // and the lower levels. Only pop() does this, never top(): until the minimum
  // is actually popped the engine may still push keys between the last pop and it.
  void refill_front() {
    base_ = lowest_min().key;
    const unsigned b = min_bucket_;
    std::vector<Item>& source = buckets_[b];
    for (const Item& item : source) {
      if (item.key == base_) {
        front_.push_back(item);
      } else {
        const unsigned target = bucket_of(item.key);
        buckets_[target].push_back(item);
        mark(target);
      }
    }
    release_if_large(source);
    nonempty_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
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

  std::vector<Item> front_;  // keys equal to base_, popped from head_
  std::array<std::vector<Item>, kBuckets> buckets_;
  std::array<std::uint64_t, kMaskWords> nonempty_{};  // bit b set iff bucket b is non-empty
  std::size_t head_ = 0;
  // The last minimum popped: a lower bound on every key held. Starts (and
  // restarts on clear) at the smallest key, INT64_MIN.
  std::uint64_t base_ = 0;
  mutable unsigned min_bucket_ = 0;           // see lowest_min()
  mutable std::size_t min_index_ = kUnknown;  // kUnknown: not computed since the last refill
  std::size_t size_ = 0;
};

}  // namespace stormsim::sim::queues

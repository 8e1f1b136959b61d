// Ladder queue: an O(1)-amortized bucket queue built for discrete-event simulation.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/event_queue/queue_entry.h"

namespace stormsim::sim::queues {

// Ladder queue (Tang, Goh, Thng, ACM TOMACS 15(3), 2005). Far events wait
// unsorted in Top; when the near ones run out, Top is spread over a rung of
// buckets, a crowded bucket over a finer rung below it, and only a small bucket
// (<= kThreshold events) is ever sorted, into Bottom, where pops come from.
// FIFO on ties: equal keys always share a container (Top, one bucket, or
// Bottom), buckets only append, and Bottom is sorted stably.
class LadderQueue {
 public:
  void push(std::int64_t time, std::uint32_t payload) {
    const Item item{to_key(time), payload};
    if (++size_ == 1) {
      restart(item);
    } else if (item.key >= top_start_) {
      push_top(item);
    } else if (!push_rungs(item)) {
      push_bottom(item);
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  QueueEntry top() const {
    assert(!empty());
    const Item& item = bottom_[bottom_head_];
    return {from_key(item.key), item.payload};
  }
  void pop() {
    assert(!empty());
    ++bottom_head_;
    --size_;
    if (bottom_head_ == bottom_.size()) {
      bottom_.clear();
      bottom_head_ = 0;
      // Refilled at once so top() stays a plain read; safe because any key
      // pushed later that sorts before the new Bottom is inserted into it.
      if (size_ > 0) {
        refill_bottom();
      }
    } else if (bottom_head_ >= kCompactAfter && 2 * bottom_head_ >= bottom_.size()) {
      bottom_.erase(bottom_.begin(), bottom_.begin() + static_cast<std::ptrdiff_t>(bottom_head_));
      bottom_head_ = 0;
    }
  }
  void clear() {
    for (std::size_t r = 0; r < rung_count_; ++r) {
      for (std::size_t b = rungs_[r].cur; b < rungs_[r].used; ++b) {
        rungs_[r].buckets[b].clear();
      }
    }
    rung_count_ = 0;
    top_.clear();
    bottom_.clear();
    bottom_head_ = 0;
    bottom_inserts_ = 0;
    size_ = 0;
  }
  void reserve(std::size_t n) { top_.reserve(n); }

 private:
  struct Item {
    std::uint64_t key;
    std::uint32_t payload;
  };

  // One level of the ladder: `used` buckets of `width` keys from `start`.
  // Buckets before `cur` have been handed down and stay empty.
  struct Rung {
    std::vector<std::vector<Item>> buckets;  // grows, never shrinks: capacities are reused
    std::size_t used = 0;
    std::size_t cur = 0;
    std::uint64_t start = 0;
    std::uint64_t width = 1;
    std::uint64_t cur_start = 0;  // first key of bucket `cur`, saturating
    std::size_t count = 0;
  };

  // From the paper: a bucket above this size is split over a new rung rather than sorted.
  static constexpr std::size_t kThreshold = 50;
  // From the paper; only reached when one bucket holds thousands of distinct keys.
  static constexpr std::size_t kMaxRungs = 8;
  static constexpr std::size_t kCompactAfter = 4096;

  static std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return a > std::numeric_limits<std::uint64_t>::max() - b
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
  }

  // Saturating at the largest key is harmless: an equal key then goes to Top,
  // behind its earlier twins below, which is FIFO anyway.
  void restart(const Item& item) {
    rung_count_ = 0;
    bottom_inserts_ = 0;
    bottom_.clear();
    bottom_head_ = 0;
    bottom_.push_back(item);
    top_start_ = saturating_add(item.key, 1);
  }

  void push_top(const Item& item) {
    if (top_.empty()) {
      top_min_ = top_max_ = item.key;
    } else {
      top_min_ = std::min(top_min_, item.key);
      top_max_ = std::max(top_max_, item.key);
    }
    top_.push_back(item);
  }

  // The first (coarsest) rung whose unconsumed range holds the key takes it.
  bool push_rungs(const Item& item) {
    for (std::size_t r = 0; r < rung_count_; ++r) {
      Rung& rung = rungs_[r];
      if (rung.cur < rung.used && item.key >= rung.cur_start) {
        rung.buckets[(item.key - rung.start) / rung.width].push_back(item);
        ++rung.count;
        return true;
      }
    }
    return false;
  }

  void push_bottom(const Item& item) {
    if (bottom_head_ == bottom_.size() || item.key >= bottom_.back().key) {
      bottom_.push_back(item);
    } else {
      // After its equals, for FIFO.
      const auto pos = std::upper_bound(
          bottom_.begin() + static_cast<std::ptrdiff_t>(bottom_head_), bottom_.end(), item.key,
          [](std::uint64_t key, const Item& other) { return key < other.key; });
      bottom_.insert(pos, item);
    }
    // Sorted inserts cost O(size): once they make up half of a large Bottom,
    // spread it over a rung instead, which the inserts pay for.
    const std::size_t live = bottom_.size() - bottom_head_;
    if (++bottom_inserts_ > kThreshold && 2 * bottom_inserts_ >= live && rung_count_ < kMaxRungs &&
        bottom_[bottom_head_].key != bottom_.back().key) {
      spill_bottom();
    }
  }

  // Turns Bottom into the lowest rung, reaching up to where the rung above (or
  // Top) begins so that every later key below that has a bucket; then refills.
  void spill_bottom() {
    const std::uint64_t end = rung_count_ > 0 ? rungs_[rung_count_ - 1].cur_start : top_start_;
    const std::uint64_t start = bottom_[bottom_head_].key;
    const std::size_t live = bottom_.size() - bottom_head_;
    Rung& rung = rungs_[rung_count_++];
    rung.width = (end - start - 1) / live + 1;
    rung.used = static_cast<std::size_t>((end - start - 1) / rung.width + 1);
    rung.start = rung.cur_start = start;
    rung.cur = 0;
    rung.count = live;
    bottom_.erase(bottom_.begin(), bottom_.begin() + static_cast<std::ptrdiff_t>(bottom_head_));
    bottom_head_ = 0;
    distribute(bottom_, rung);
    refill_bottom();
  }

  void refill_bottom() {
    bottom_inserts_ = 0;
    for (;;) {
      while (rung_count_ > 0 && rungs_[rung_count_ - 1].count == 0) {
        --rung_count_;
      }
      if (rung_count_ == 0) {
        if (top_.size() <= kThreshold) {
          bottom_.swap(top_);
          sort_bottom();
          top_start_ = saturating_add(top_max_, 1);
          return;
        }
        spread_top();
      }
      Rung& rung = rungs_[rung_count_ - 1];
      while (rung.buckets[rung.cur].empty()) {
        advance(rung);
      }
      std::vector<Item>& bucket = rung.buckets[rung.cur];
      const std::uint64_t bucket_start = rung.cur_start;
      advance(rung);
      rung.count -= bucket.size();
      // A width-1 bucket holds one key, so it is already in FIFO order.
      if (bucket.size() > kThreshold && rung.width > 1 && rung_count_ < kMaxRungs) {
        spawn_rung(bucket, bucket_start, rung.width);
        continue;
      }
      bottom_.swap(bucket);
      if (rung.width > 1) {
        sort_bottom();
      }
      return;
    }
  }

  static void advance(Rung& rung) {
    ++rung.cur;
    rung.cur_start = saturating_add(rung.cur_start, rung.width);
  }

  // About one event per bucket, as the paper does, so most buckets sort trivially.
  void spread_top() {
    Rung& rung = rungs_[0];
    const std::uint64_t span = top_max_ - top_min_;
    rung.width = span / top_.size() + 1;
    rung.used = static_cast<std::size_t>(span / rung.width + 1);
    rung.start = rung.cur_start = top_min_;
    rung.cur = 0;
    rung.count = top_.size();
    distribute(top_, rung);
    top_start_ = saturating_add(top_max_, 1);
    rung_count_ = 1;
  }

  // Splits a crowded bucket [start, start + parent_width) over a new, finer rung.
  void spawn_rung(std::vector<Item>& bucket, std::uint64_t start, std::uint64_t parent_width) {
    Rung& rung = rungs_[rung_count_++];
    rung.width = (parent_width - 1) / bucket.size() + 1;
    rung.used = static_cast<std::size_t>((parent_width - 1) / rung.width + 1);
    rung.start = rung.cur_start = start;
    rung.cur = 0;
    rung.count = bucket.size();
    distribute(bucket, rung);
  }

  static void distribute(std::vector<Item>& items, Rung& rung) {
    if (rung.buckets.size() < rung.used) {
      rung.buckets.resize(rung.used);
    }
    for (const Item& item : items) {
      rung.buckets[(item.key - rung.start) / rung.width].push_back(item);
    }
    items.clear();
  }

  // Stable, so equal keys keep their push order.
  void sort_bottom() {
    const auto by_key = [](const Item& a, const Item& b) { return a.key < b.key; };
    if (bottom_.size() > 2 * kThreshold) {
      std::stable_sort(bottom_.begin(), bottom_.end(), by_key);
      return;
    }
    for (std::size_t i = 1; i < bottom_.size(); ++i) {
      const Item item = bottom_[i];
      std::size_t j = i;
      for (; j > 0 && item.key < bottom_[j - 1].key; --j) {
        bottom_[j] = bottom_[j - 1];
      }
      bottom_[j] = item;
    }
  }

  std::vector<Item> top_;  // unsorted; every key >= top_start_
  std::uint64_t top_min_ = 0;
  std::uint64_t top_max_ = 0;
  std::uint64_t top_start_ = 0;  // keys below go to the rungs or Bottom
  std::array<Rung, kMaxRungs> rungs_;
  std::size_t rung_count_ = 0;
  std::vector<Item> bottom_;  // sorted; pops advance bottom_head_
  std::size_t bottom_head_ = 0;
  std::size_t bottom_inserts_ = 0;  // pushes into Bottom since it was last filled
  std::size_t size_ = 0;
};

}  // namespace stormsim::sim::queues

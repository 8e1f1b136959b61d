// CompletionHeap: the flows' completion times, as an indexed min-heap.
//
// Every re-solve moves the completion time of each flow whose rate changed.
// Kept as engine events, each move would cancel one event and schedule
// another (an event slot, a queue entry that later pops as a cancelled one);
// here it is one sift in a heap of the flows alone, and the flow system keeps
// a single engine event at the earliest time.
//
// Entries are ordered by (time, sequence): the sequence is the order in
// which times were set, so flows due at the same nanosecond finish in the
// order their times were set, as events scheduled in that order would run.
#pragma once

#include <cstdint>
#include <vector>

namespace stormsim::sim::flow {

class CompletionHeap {
 public:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // The flow due first and its time; only when !empty().
  std::uint32_t top() const { return heap_.front().flow; }
  std::int64_t top_time() const { return time_of(heap_.front()); }
  bool contains(std::uint32_t flow) const { return flow < pos_.size() && pos_[flow] != kAbsent; }

  // Sets (or moves) `flow`'s completion time.
  void set(std::uint32_t flow, std::int64_t time) {
    if (pos_.size() <= flow)
      pos_.resize(flow + 1, kAbsent);
    const Entry e{static_cast<std::uint64_t>(time) ^ kSign, next_seq_++, flow};
    std::uint32_t i = pos_[flow];
    if (i == kAbsent) {
      i = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(e);
      up(i);
      return;
    }
    const bool earlier = e.before(heap_[i]);
    heap_[i] = e;
    if (earlier)
      up(i);
    else
      down(i);
  }

  void erase(std::uint32_t flow) {
    if (!contains(flow))
      return;
    const std::uint32_t i = pos_[flow];
    pos_[flow] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size())
      return;
    const bool earlier = last.before(heap_[i]);
    heap_[i] = last;
    pos_[last.flow] = i;
    if (earlier)
      up(i);
    else
      down(i);
  }

 private:
  static constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  struct Entry {
    std::uint64_t time;  // sign bit flipped: unsigned order is time order
    std::uint64_t seq;
    std::uint32_t flow;
    bool before(const Entry& o) const { return time != o.time ? time < o.time : seq < o.seq; }
  };

  static std::int64_t time_of(const Entry& e) { return static_cast<std::int64_t>(e.time ^ kSign); }

  void place(std::uint32_t i, const Entry& e) {
    heap_[i] = e;
    pos_[e.flow] = i;
  }
  void up(std::uint32_t i) {
    const Entry e = heap_[i];
    while (i > 0) {
      const std::uint32_t parent = (i - 1) / 2;
      if (!e.before(heap_[parent]))
        break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, e);
  }
  void down(std::uint32_t i) {
    const Entry e = heap_[i];
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      std::uint32_t child = 2 * i + 1;
      if (child >= n)
        break;
      if (child + 1 < n && heap_[child + 1].before(heap_[child]))
        ++child;
      if (!heap_[child].before(e))
        break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, e);
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> pos_;  // by flow index
  std::uint64_t next_seq_ = 0;
};

}  // namespace stormsim::sim::flow

// Every event-queue design against the same contract: time order, FIFO on
// ties, and agreement with a reference heap over (time, push sequence).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/event_queue.h"

namespace {

using stormsim::sim::EventQueue;
using stormsim::sim::QueueEntry;
using namespace stormsim::sim::queues;

constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kHour = 3'600'000'000'000;

// The specification: a binary heap ordered by (time, push sequence).
class ReferenceQueue {
 public:
  void push(std::int64_t time, std::uint32_t payload) { heap_.emplace(time, next_seq_++, payload); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  QueueEntry top() const { return {std::get<0>(heap_.top()), std::get<2>(heap_.top())}; }
  void pop() { heap_.pop(); }

 private:
  using Node = std::tuple<std::int64_t, std::uint64_t, std::uint32_t>;
  std::priority_queue<Node, std::vector<Node>, std::greater<Node>> heap_;
  std::uint64_t next_seq_ = 0;
};

// Drives a queue and the reference in lockstep, checking after every operation.
// Checks are plain comparisons; a Catch assertion fires only on the first
// mismatch, so a million steps stay fast.
template <class Queue>
class Lockstep {
 public:
  void push(std::int64_t time) {
    queue_.push(time, next_payload_);
    reference_.push(time, next_payload_);
    ++next_payload_;
    check();
  }
  QueueEntry pop() {
    const QueueEntry entry = reference_.top();
    queue_.pop();
    reference_.pop();
    check();
    return entry;
  }
  std::size_t size() const { return reference_.size(); }

 private:
  void check() {
    const bool same_size =
        queue_.size() == reference_.size() && queue_.empty() == reference_.empty();
    const bool same_top = reference_.empty() || (queue_.top().time == reference_.top().time &&
                                                 queue_.top().payload == reference_.top().payload);
    if (!same_size || !same_top) {
      INFO("after " << next_payload_ << " pushes; size " << queue_.size() << " want "
                    << reference_.size());
      if (!reference_.empty() && !queue_.empty()) {
        INFO("top (" << queue_.top().time << ", " << queue_.top().payload << ") want ("
                     << reference_.top().time << ", " << reference_.top().payload << ")");
        REQUIRE(same_top);
      }
      REQUIRE(same_size);
    }
  }

  Queue queue_;
  ReferenceQueue reference_;
  std::uint32_t next_payload_ = 0;
};

// Delays as an engine sees them: many zero (same-time wakeups), mostly
// sub-microsecond to millisecond, and a few timeouts hours away.
std::int64_t random_delay(std::mt19937_64& rng) {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  double mean_ns = 0;
  if (u < 0.15) {
    return 0;
  } else if (u < 0.80) {
    mean_ns = 1e3;
  } else if (u < 0.97) {
    mean_ns = 1e6;
  } else {
    mean_ns = 1e12;
  }
  return static_cast<std::int64_t>(std::exponential_distribution<double>(1 / mean_ns)(rng));
}

template <class Queue>
std::vector<QueueEntry> drain(Queue& queue) {
  std::vector<QueueEntry> out;
  while (!queue.empty()) {
    out.push_back(queue.top());
    queue.pop();
  }
  return out;
}

}  // namespace

#define STORMSIM_QUEUE_DESIGNS \
  BinaryHeap, QuaternaryHeap, PairingHeap, LadderQueue, RadixHeap, WideRadixHeap

TEMPLATE_TEST_CASE("event queue pops in time order", "[event_queue]", STORMSIM_QUEUE_DESIGNS) {
  std::mt19937_64 rng(1);
  std::vector<std::int64_t> times(5000);
  for (std::int64_t& t : times) {
    t = std::uniform_int_distribution<std::int64_t>(0, 1'000'000)(rng);
  }
  TestType queue;
  for (std::size_t i = 0; i < times.size(); ++i) {
    queue.push(times[i], static_cast<std::uint32_t>(i));
  }
  const std::vector<QueueEntry> out = drain(queue);
  REQUIRE(out.size() == times.size());
  std::vector<std::int64_t> got;
  for (const QueueEntry& e : out) {
    CHECK(times[e.payload] == e.time);
    got.push_back(e.time);
  }
  std::sort(times.begin(), times.end());
  CHECK(got == times);
}

TEMPLATE_TEST_CASE("event queue pops equal times in push order", "[event_queue]",
                   STORMSIM_QUEUE_DESIGNS) {
  TestType queue;
  SECTION("a burst of many equal keys") {
    for (std::uint32_t i = 0; i < 20000; ++i) {
      queue.push(42, i);
    }
    const std::vector<QueueEntry> out = drain(queue);
    REQUIRE(out.size() == 20000);
    for (std::uint32_t i = 0; i < out.size(); ++i) {
      REQUIRE(out[i].time == 42);
      REQUIRE(out[i].payload == i);
    }
  }
  SECTION("pushes at the current time while draining it") {
    // A zero-delay chain: each pop schedules another event at the same time.
    for (std::uint32_t i = 0; i < 100; ++i) {
      queue.push(7, i);
    }
    queue.push(8, 1'000'000);
    std::uint32_t next = 100;
    for (std::uint32_t want = 0; want < 10000; ++want) {
      REQUIRE(queue.top().time == 7);
      REQUIRE(queue.top().payload == want);
      queue.pop();
      queue.push(7, next++);
    }
    REQUIRE(queue.size() == 101);
  }
  SECTION("ties among a few keys, interleaved") {
    Lockstep<TestType> lockstep;
    std::mt19937_64 rng(2);
    std::int64_t now = 0;
    for (int step = 0; step < 50000; ++step) {
      if (lockstep.size() == 0 || rng() % 3 != 0) {
        lockstep.push(now + static_cast<std::int64_t>(rng() % 4));
      } else {
        now = lockstep.pop().time;
      }
    }
  }
}

TEMPLATE_TEST_CASE("event queue matches a reference under hold and bursts", "[event_queue]",
                   STORMSIM_QUEUE_DESIGNS) {
  const std::uint64_t seed = GENERATE(range(1, 4));
  std::mt19937_64 rng(seed);
  Lockstep<TestType> lockstep;
  std::int64_t now = 0;
  for (int i = 0; i < 3000; ++i) {
    lockstep.push(now + random_delay(rng));
  }
  for (int step = 0; step < 100000; ++step) {
    const auto action = rng() % 1000;
    if (action < 2) {
      // A collective finishing: thousands of events at one instant.
      const std::int64_t when = now + random_delay(rng);
      const auto count = 1 + rng() % 3000;
      for (std::uint64_t k = 0; k < count; ++k) {
        lockstep.push(when);
      }
    } else if (action < 10 && lockstep.size() > 0) {
      // Drain a while, so the queue shrinks as well as grows.
      for (auto k = rng() % 2000; k > 0 && lockstep.size() > 0; --k) {
        now = lockstep.pop().time;
      }
    } else if (lockstep.size() > 0) {
      now = lockstep.pop().time;
      lockstep.push(now + random_delay(rng));
    } else {
      lockstep.push(now + random_delay(rng));
    }
  }
  while (lockstep.size() > 0) {
    lockstep.pop();
  }
}

TEMPLATE_TEST_CASE("event queue size, empty and clear", "[event_queue]", STORMSIM_QUEUE_DESIGNS) {
  TestType queue;
  queue.reserve(1000);
  CHECK(queue.empty());
  CHECK(queue.size() == 0);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    queue.push(1'000'000'000 + i % 17, i);
  }
  CHECK_FALSE(queue.empty());
  CHECK(queue.size() == 1000);
  for (int i = 0; i < 300; ++i) {
    queue.pop();
  }
  CHECK(queue.size() == 700);
  queue.clear();
  CHECK(queue.empty());
  CHECK(queue.size() == 0);

  // After clear() the queue starts over, even at an earlier time.
  queue.push(5, 1);
  queue.push(3, 2);
  queue.push(5, 3);
  CHECK(queue.size() == 3);
  const std::vector<QueueEntry> out = drain(queue);
  REQUIRE(out.size() == 3);
  CHECK((out[0].time == 3 && out[0].payload == 2));
  CHECK((out[1].time == 5 && out[1].payload == 1));
  CHECK((out[2].time == 5 && out[2].payload == 3));

  // Draining to empty also lets it start over anywhere not before the last pop.
  queue.push(5, 4);
  CHECK(queue.top().payload == 4);
  queue.pop();
  CHECK(queue.empty());
}

TEMPLATE_TEST_CASE("event queue handles far-apart and extreme times", "[event_queue]",
                   STORMSIM_QUEUE_DESIGNS) {
  Lockstep<TestType> lockstep;
  std::mt19937_64 rng(3);
  SECTION("around INT64_MAX / 2, nanoseconds to hours apart") {
    std::int64_t now = kMaxTime / 2 - 1000;
    for (int step = 0; step < 20000; ++step) {
      const auto action = rng() % 10;
      if (action < 4) {
        lockstep.push(now + static_cast<std::int64_t>(rng() % 3));
      } else if (action < 6) {
        lockstep.push(now + kHour * static_cast<std::int64_t>(1 + rng() % 1000));
      } else if (lockstep.size() > 0) {
        now = lockstep.pop().time;
      }
    }
  }
  SECTION("up to INT64_MAX") {
    lockstep.push(kMaxTime);
    lockstep.push(kMaxTime - 1);
    lockstep.push(0);
    lockstep.push(kMaxTime);
    lockstep.push(kMaxTime / 2);
    CHECK(lockstep.pop().time == 0);
    lockstep.push(kMaxTime);
    lockstep.push(1);
    for (int i = 0; i < 200; ++i) {
      lockstep.push(kMaxTime - static_cast<std::int64_t>(rng() % 4));
    }
    std::int64_t now = 0;
    while (lockstep.size() > 0) {
      const std::int64_t t = lockstep.pop().time;
      CHECK(t >= now);
      now = t;
      if (now < kMaxTime && rng() % 4 == 0) {
        lockstep.push(kMaxTime);
      }
    }
  }
  SECTION("negative times, down to -INT64_MAX") {
    std::int64_t now = -kMaxTime;
    for (int step = 0; step < 20000; ++step) {
      if (lockstep.size() == 0 || rng() % 2 == 0) {
        // At most 2^40 ns ahead, so 20000 pushes stay far below zero.
        lockstep.push(now + static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 40)));
      } else {
        now = lockstep.pop().time;
      }
    }
  }
}

TEMPLATE_TEST_CASE("event queue takes pushes before a peeked minimum", "[event_queue]",
                   STORMSIM_QUEUE_DESIGNS) {
  // The engine may peek (say, to stop at a deadline) and then schedule events
  // earlier than what it saw, as long as they are not before the last pop.
  TestType queue;
  queue.push(10, 0);
  queue.push(1000, 1);
  queue.pop();
  CHECK(queue.top().time == 1000);
  queue.push(500, 2);
  CHECK(queue.top().payload == 2);
  queue.push(10, 3);
  CHECK(queue.top().payload == 3);
  const std::vector<QueueEntry> out = drain(queue);
  REQUIRE(out.size() == 3);
  CHECK(out[0].payload == 3);
  CHECK(out[1].payload == 2);
  CHECK(out[2].payload == 1);
}

namespace {
template <class... Designs>
constexpr bool is_one_of = (std::is_same_v<EventQueue, Designs> || ...);
}  // namespace

TEST_CASE("EventQueue is one of the tested designs", "[event_queue]") {
  STATIC_REQUIRE(is_one_of<STORMSIM_QUEUE_DESIGNS>);
  EventQueue queue;
  queue.push(1, 2);
  const QueueEntry entry = std::as_const(queue).top();
  CHECK((entry.time == 1 && entry.payload == 2));
}

// sim::EventQueue: the engine's pending-event priority queue.
#pragma once

#include "sim/event_queue/d_ary_heap.h"
#include "sim/event_queue/ladder_queue.h"
#include "sim/event_queue/pairing_heap.h"
#include "sim/event_queue/queue_entry.h"
#include "sim/event_queue/radix_heap.h"
#include "sim/event_queue/wide_radix_heap.h"

namespace stormsim::sim {

// Min-queue of (time, payload) that pops equal times in push (FIFO) order.
// Pushes must be monotone: time >= the time of the last entry popped (asserted).
// Every design in sim/event_queue/ has this interface and passes the same tests
// (tests/sim/test_event_queue.cc); this line picks the fastest on the hold-model
// benchmark with 100K-1M pending (tests/bench/engine/bench_event_queue.cc).
using EventQueue = queues::WideRadixHeap;

}  // namespace stormsim::sim

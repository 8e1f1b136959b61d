// sim::EventQueue: the engine's pending-event priority queue.
#pragma once

#include "sim/event_queue/d_ary_heap.h"
#include "sim/event_queue/ladder_queue.h"
#include "sim/event_queue/pairing_heap.h"
#include "sim/event_queue/queue_entry.h"
#include "sim/event_queue/radix_heap.h"

namespace stormsim::sim {

// Min-queue of (time, payload) that pops equal times in push (FIFO) order.
// Pushes must be monotone: time >= the time of the last entry popped.
// Every design in sim/event_queue/ offers this interface; this line picks the
// fastest on tests/bench/engine/bench_event_queue.cc (hold model, 1K-1M events).
using EventQueue = queues::RadixHeap;

}  // namespace stormsim::sim

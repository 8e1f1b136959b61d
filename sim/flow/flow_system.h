// FlowSystem: transfers as awaitable flows sharing bandwidth in simulated time.
//
//   sim::flow::FlowSystem flows(engine);
//   auto nic = flows.add_constraint(BytesPerSec(25e9), "gpu0.nic.tx");
//   ...
//   co_await flows.transfer(path, Bytes(10e9), {.latency = 5_us});
//
// A transfer waits out its latency (the sum of its hops' latencies), then
// becomes a flow in the MaxMinSolver and resumes the awaiting process when
// its last byte has gone through. Every change in one instant (flows started,
// finished, aborted, capacities changed) is solved once, when the instant
// ends; only flows whose rate changed get a new completion time. Remaining
// bytes are updated from exact elapsed nanoseconds at each rate change, and a
// completion time is rounded up, so a flow ends at most 1 ns late and never
// early. Completion times wait in a CompletionHeap behind one engine event;
// flows due at the same nanosecond finish together, in the order their
// times were set.
//
// Failures: fail(c) aborts every flow crossing constraint c, and every later
// transfer over c until restore(c); the awaiting process sees TransferAborted.
// Destroying an awaiting process (engine shutdown, when_any losing) removes
// its flow.
#pragma once

#include <array>
#include <coroutine>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/flow/completion_heap.h"
#include "sim/flow/max_min.h"
#include "sim/quantity.h"
#include "sim/time.h"

namespace stormsim::sim::flow {

// Thrown into a process whose transfer crossed a failed constraint.
class TransferAborted : public std::runtime_error {
 public:
  TransferAborted(ConstraintId c, const std::string& what)
      : std::runtime_error(what), constraint_(c) {}
  ConstraintId constraint() const { return constraint_; }

 private:
  ConstraintId constraint_;
};

struct TransferOptions {
  // Time before the first byte moves: the path's summed hop latencies.
  Time latency{};
  // Share of contended bandwidth relative to other flows (> 0).
  double weight = 1.0;
  // Upper bound on this flow's rate (a TCP window, a client's pacing).
  BytesPerSec max_rate{std::numeric_limits<double>::infinity()};
};

class FlowSystem {
 public:
  explicit FlowSystem(Engine& engine);
  // Transfers still waiting or flowing are orphaned: their processes stay
  // suspended until the engine shuts down.
  ~FlowSystem();
  FlowSystem(const FlowSystem&) = delete;
  FlowSystem& operator=(const FlowSystem&) = delete;

  ConstraintId add_constraint(BytesPerSec capacity, std::string name = {});
  // Takes effect when the current instant ends; flows re-share at once.
  void set_capacity(ConstraintId c, BytesPerSec capacity);
  BytesPerSec capacity(ConstraintId c) const { return BytesPerSec(solver_.capacity(c)); }
  // Sum of the current rates of the flows crossing `c`.
  BytesPerSec load(ConstraintId c) const { return BytesPerSec(solver_.load(c)); }
  const std::string& name(ConstraintId c) const { return names_[c]; }

  // What a constraint has carried so far: bytes (the integral of its load)
  // and how long it limited some flow's rate. Utilization over a window is
  // bytes / (capacity * window).
  struct Usage {
    Bytes bytes;
    Time bottleneck_time;
  };
  Usage usage(ConstraintId c) const;
  std::size_t constraint_count() const { return names_.size(); }

  class Transfer;
  // Awaitable: moves `bytes` over `path` (copied). Resumes when the last byte
  // has arrived; throws TransferAborted if a constraint on the path fails.
  [[nodiscard]] Transfer transfer(std::span<const ConstraintId> path, Bytes bytes,
                                  TransferOptions options = {});

  // Batches re-solves to instants that are multiples of `quantum` (0, the
  // default: every instant with a change). Between them, flows keep their
  // rates: a finished flow's bandwidth stays unused and a new flow waits at
  // rate 0 until the next multiple, so a transfer can end up to about one
  // quantum late. For very large runs (thousands of concurrent flows each
  // changing at its own instant) it trades that error for far fewer solves.
  void set_solve_quantum(Time quantum);
  Time solve_quantum() const { return quantum_; }
  std::uint64_t solves() const { return solves_; }

  // Transfers of at most `size` bytes (control messages: requests, acks,
  // metadata RPCs) skip bandwidth sharing: each takes its latency plus its
  // bytes at the narrowest capacity on its path (or its max_rate), as if
  // alone on an idle path, and adds no load. 0, the default, lets every
  // transfer share. Tiny flows cost as much to solve as bulk ones, and under
  // a solve quantum each would wait up to a quantum; their bandwidth is
  // negligible, but queueing behind bulk data is not modelled.
  void set_message_size(Bytes size);
  Bytes message_size() const { return message_size_; }
  std::uint64_t messages() const { return messages_; }

  void fail(ConstraintId c);
  void restore(ConstraintId c);
  bool failed(ConstraintId c) const { return failed_[c]; }

  std::size_t active_flows() const { return solver_.flow_count(); }
  const MaxMinSolver& solver() const { return solver_; }
  Engine& engine() const { return engine_; }

 private:
  struct Active {
    Transfer* owner = nullptr;
    double remaining = 0;  // bytes still to move as of `last`
    Time last{};
    double rate = 0;
  };

  struct Account {
    double bytes = 0;
    Time bottleneck{};
    Time since{};
  };
  // Integrates `c`'s load and bottleneck state up to now.
  void account(ConstraintId c, double load, bool bottleneck);

  void start(Transfer& t);
  void request_solve();
  void resolve();
  // Keeps completion_event_ at the earliest completion time.
  void arm();
  // Finishes every flow due now, in completion order.
  void complete_due();
  void finished(FlowId id);
  // Stops a flow without resuming its owner.
  void drop(FlowId id);
  std::string failure_message(ConstraintId c) const;

  Engine& engine_;
  MaxMinSolver solver_;
  std::vector<std::string> names_;
  std::vector<bool> failed_;
  std::vector<Active> active_;  // by FlowId::index
  CompletionHeap completions_;  // flows with a finite completion time
  EventId completion_event_{};
  std::int64_t armed_at_ = 0;      // completion_event_'s time, while it is set
  bool completing_ = false;        // in complete_due(): it arms once at its end
  std::vector<Account> accounts_;  // by ConstraintId
  bool solve_pending_ = false;
  Time quantum_{};
  EventId quantum_event_{};
  std::uint64_t solves_ = 0;
  Bytes message_size_{};
  std::uint64_t messages_ = 0;
  Transfer* waiting_ = nullptr;  // transfers in their latency phase
};

class FlowSystem::Transfer {
 public:
  Transfer(FlowSystem& fs, std::span<const ConstraintId> path, Bytes bytes,
           TransferOptions options);
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();

  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const;

 private:
  friend class FlowSystem;
  enum class State { kIdle, kLatency, kFlowing, kDone, kAborted, kOrphaned };

  void abort_later(ConstraintId c);
  void set_aborted(ConstraintId c);
  // The latency phase: listed so that a dying FlowSystem can orphan it.
  void wait_latency();
  void stop_waiting();
  // The first failed constraint on the path, or -1.
  std::int64_t first_failed() const;
  // A message's time on the wire (see set_message_size), or -1 when the
  // transfer is not one and shares bandwidth as a flow.
  std::int64_t message_ns() const;

  std::span<const ConstraintId> path() const {
    return path_heap_.empty() ? std::span<const ConstraintId>(path_inline_.data(), path_size_)
                              : std::span<const ConstraintId>(path_heap_);
  }

  FlowSystem* fs_;
  Engine* engine_;
  // Paths are short (NIC, a few switch ports, NIC): kept inline, no allocation.
  std::array<ConstraintId, 16> path_inline_;
  std::vector<ConstraintId> path_heap_;
  std::uint32_t path_size_;
  Bytes bytes_;
  TransferOptions options_;
  State state_ = State::kIdle;
  std::coroutine_handle<> handle_;
  EventId wake_;  // end of latency, or an abort's wake-up
  FlowId flow_;
  ConstraintId failed_at_ = 0;
  std::string error_;  // set on abort, so it outlives the FlowSystem
  bool message_ = false;
  Transfer* prev_ = nullptr;
  Transfer* next_ = nullptr;
};

inline FlowSystem::Transfer FlowSystem::transfer(std::span<const ConstraintId> path, Bytes bytes,
                                                 TransferOptions options) {
  return Transfer(*this, path, bytes, options);
}

}  // namespace stormsim::sim::flow

// sim::Engine: the discrete-event loop, its processes and random streams.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/event_queue.h"
#include "sim/inplace_function.h"
#include "sim/observer.h"
#include "sim/random.h"
#include "sim/task.h"
#include "sim/time.h"

namespace stormsim::sim {

// Names a scheduled event so it can be cancelled. A stale id (the event ran
// or was cancelled, and its slot reused) is detected by the generation.
struct EventId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 never names a live event
  explicit operator bool() const { return generation != 0; }
};

// A simulation failure: a process threw, or a model found an impossible state.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Engine;

namespace detail {

// The frame of a process handed to Engine::spawn. The engine keeps live
// processes in an intrusive list so it can destroy those that never finish.
struct ProcessPromise;
using ProcessHandle = std::coroutine_handle<ProcessPromise>;

struct ProcessFrame {
  Engine* engine = nullptr;
  EventId start_event;
  std::string name;
  ProcessPromise* prev = nullptr;
  ProcessPromise* next = nullptr;
};

struct ProcessReturn {
  using promise_type = ProcessPromise;
  ProcessHandle h;
};

struct ProcessPromise : ProcessFrame, PooledFrame {
  ProcessReturn get_return_object() noexcept { return {ProcessHandle::from_promise(*this)}; }
  std::suspend_always initial_suspend() const noexcept { return {}; }
  struct Final {
    bool await_ready() const noexcept { return false; }
    void await_suspend(ProcessHandle h) const noexcept;
    void await_resume() const noexcept {}
  };
  Final final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() noexcept;
};

}  // namespace detail

// Owns simulated time, the pending events and the processes. Not copyable,
// not a singleton: a run creates one and passes it explicitly.
class Engine {
 public:
  // How often observers get on_progress (in events).
  static constexpr std::uint64_t kProgressEvents = 1u << 16;

  explicit Engine(std::uint64_t seed = 1);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time now() const { return now_; }
  std::uint64_t seed() const { return rng_.seed(); }
  std::uint64_t events_processed() const { return events_processed_; }
  // Events scheduled and not yet run or cancelled.
  std::size_t pending() const { return live_events_; }

  // Runs `f` at time `t` (>= now()); events at equal times run in the order
  // they were scheduled.
  EventId schedule_at(Time t, InplaceFunction f);
  EventId schedule_in(Time delay, InplaceFunction f) {
    return schedule_at(now_ + delay, std::move(f));
  }
  // Returns true if the event was pending and will now not run.
  bool cancel(EventId id);

  // Runs until no events remain or stop() is called. Rethrows, as a
  // SimulationError, the first exception that escaped a process.
  void run();
  // Runs events up to and including time `t`, then sets now() to `t`
  // (unless stopped or failed first; on_run_end sees the final clock).
  void run_until(Time t);
  // Runs one event; false when none is pending. Throws like run() when the
  // event's process failed.
  bool step();
  // Ends run()/run_until() after the current event.
  void stop() { stop_requested_ = true; }

  // Runs `f` once every event at the current time has run, before the clock
  // moves on: the place to batch work that many same-time events dirty (the
  // flow solver re-solves once per instant, not once per change). Callbacks
  // may schedule events at now(), which then run before the clock moves.
  // `owner` tags the callback so that forget_instant_end(owner) can drop it
  // when its owner is destroyed first.
  void at_instant_end(const void* owner, InplaceFunction f) {
    instant_end_.push_back({owner, std::move(f)});
  }
  void forget_instant_end(const void* owner);

  // Starts `task` as a process at the current time (after events already
  // scheduled for now). The engine owns it until it finishes; processes still
  // suspended when the engine is destroyed (or at shutdown()) are destroyed.
  void spawn(Task<void> task, std::string name = {});
  std::size_t live_processes() const { return live_processes_; }
  // Destroys every unfinished process. Call before destroying objects that
  // processes may still reference; the destructor calls it too.
  void shutdown();

  // Awaitable: resumes the awaiting process `d` later (or at `t`). The wake
  // time is fixed when sleep() is called, not when the result is awaited.
  class SleepAwaiter;
  SleepAwaiter sleep(Time d);
  SleepAwaiter sleep_until(Time t);
  // Awaitable: lets every other event at the current time run first.
  SleepAwaiter yield();

  // Resumes `h` at time `t` through an ordinary event.
  EventId resume_at(Time t, std::coroutine_handle<> h) {
    return schedule_at(t, [h] { h.resume(); });
  }

  Rng& rng(std::string_view stream) { return rng_.stream(stream); }
  RngStreams& rng_streams() { return rng_; }

  void add_observer(Observer* o) { observers_.push_back(o); }
  void remove_observer(Observer* o);
  // True when an attached observer wants records: models test it before
  // building one, so tracing costs nothing when off.
  bool tracing() const {
    for (const Observer* o : observers_) {
      if (o->wants_records())
        return true;
    }
    return false;
  }
  // Hands a trace record to every observer; free when there are none.
  void record(const Record& r) const {
    for (Observer* o : observers_)
      o->on_record(*this, r);
  }

 private:
  friend struct detail::ProcessPromise;

  // One cache line per event. `next_free` links free slots; while the slot
  // holds a pending event it is kPending, or kCancelled once cancelled.
  struct alignas(64) Node {
    InplaceFunction fn;
    std::uint32_t generation = 1;
    std::uint32_t next_free = 0;
  };
  static_assert(sizeof(Node) == 64);
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;
  static constexpr std::uint32_t kPending = kNoSlot - 1;
  static constexpr std::uint32_t kCancelled = kNoSlot - 2;

  Node& node(std::uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunkSize - 1)]; }
  bool step_until(std::int64_t limit);
  // Rethrows, as a SimulationError naming the process, a process failure.
  void throw_if_failed();
  std::uint32_t allocate_slot();
  void free_slot(std::uint32_t slot);
  void run_loop(Time limit, bool advance_to_limit);
  void process_finished(detail::ProcessPromise& p);
  void process_failed(detail::ProcessPromise& p, std::exception_ptr e);
  void run_instant_end();

  Time now_;
  EventQueue queue_;
  // Event nodes live in fixed chunks so they never move once allocated.
  std::vector<std::unique_ptr<Node[]>> chunks_;
  std::uint32_t slots_used_ = 0;
  std::uint32_t free_head_ = kNoSlot;
  std::size_t live_events_ = 0;
  std::uint64_t events_processed_ = 0;
  bool stop_requested_ = false;
  struct InstantEnd {
    const void* owner;
    InplaceFunction fn;
  };
  std::vector<InstantEnd> instant_end_;
  std::vector<InstantEnd> instant_end_running_;

  detail::ProcessPromise* processes_ = nullptr;
  std::size_t live_processes_ = 0;
  std::exception_ptr failure_;
  std::string failure_process_;

  RngStreams rng_;
  std::vector<Observer*> observers_;
};

// Suspends the awaiting coroutine until a given time. If the coroutine is
// destroyed first, the wake-up event is cancelled.
class Engine::SleepAwaiter {
 public:
  SleepAwaiter(Engine& e, Time when) : engine_(&e), when_(when) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (id_)
      engine_->cancel(id_);
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    id_ = engine_->schedule_at(when_, [this, h] {
      id_ = {};
      h.resume();
    });
  }
  void await_resume() const noexcept {}

 private:
  Engine* engine_;
  Time when_;
  EventId id_;
};

inline Engine::SleepAwaiter Engine::sleep(Time d) {
  return SleepAwaiter(*this, now_ + d);
}
inline Engine::SleepAwaiter Engine::sleep_until(Time t) {
  return SleepAwaiter(*this, t);
}
inline Engine::SleepAwaiter Engine::yield() {
  return SleepAwaiter(*this, now_);
}

}  // namespace stormsim::sim

#include "sim/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace stormsim::sim {
namespace detail {

void ProcessPromise::Final::await_suspend(ProcessHandle h) const noexcept {
  // The frame is suspended at its final point, so it may be destroyed here.
  h.promise().engine->process_finished(h.promise());
}

void ProcessPromise::unhandled_exception() noexcept {
  engine->process_failed(*this, std::current_exception());
}

namespace {
// The outermost frame of a spawned process: awaits the user's task, so an
// exception it throws lands in ProcessPromise::unhandled_exception.
ProcessReturn run_process(Task<void> task) {
  co_await task;
}
}  // namespace

ProcessHandle make_process(Task<void> task) {
  return run_process(std::move(task)).h;
}

}  // namespace detail

Engine::Engine(std::uint64_t seed) : rng_(seed) {}

Engine::~Engine() {
  shutdown();
}

std::uint32_t Engine::allocate_slot() {
  if (free_head_ != kNoSlot) {
    const std::uint32_t slot = free_head_;
    free_head_ = node(slot).next_free;
    return slot;
  }
  if ((slots_used_ & (kChunkSize - 1)) == 0) {
    if (slots_used_ == kNoSlot - (kChunkSize - 1))
      throw SimulationError("too many pending events");
    chunks_.push_back(std::make_unique<Node[]>(kChunkSize));
  }
  return slots_used_++;
}

void Engine::free_slot(std::uint32_t slot) {
  Node& n = node(slot);
  // Skip generation 0, which EventId reserves for "no event".
  if (++n.generation == 0)
    n.generation = 1;
  n.next_free = free_head_;
  free_head_ = slot;
}

EventId Engine::schedule_at(Time t, InplaceFunction f) {
  if (t < now_) {
    throw SimulationError(
        fmt::format("event scheduled in the past: at {} while the clock is at {}", t, now_));
  }
  const std::uint32_t slot = allocate_slot();
  Node& n = node(slot);
  n.fn = std::move(f);
  n.next_free = kPending;
  queue_.push(t.ns(), slot);
  ++live_events_;
  return EventId{slot, n.generation};
}

bool Engine::cancel(EventId id) {
  if (!id || id.slot >= slots_used_)
    return false;
  Node& n = node(id.slot);
  if (n.generation != id.generation || n.next_free != kPending)
    return false;
  n.next_free = kCancelled;
  n.fn.reset();
  --live_events_;
  return true;
}

bool Engine::step() {
  const bool ran = step_until(Time::max().ns());
  throw_if_failed();
  return ran;
}

void Engine::throw_if_failed() {
  if (!failure_)
    return;
  std::exception_ptr e = std::exchange(failure_, nullptr);
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    throw SimulationError(
        fmt::format("process `{}` failed at {}: {}", failure_process_, now_, ex.what()));
  } catch (...) {
    throw SimulationError(fmt::format("process `{}` failed at {}", failure_process_, now_));
  }
}

void Engine::run_instant_end() {
  // Swap out first: a callback may register more, which run in the next round.
  instant_end_running_.swap(instant_end_);
  try {
    for (InstantEnd& e : instant_end_running_) {
      if (e.owner != nullptr)  // forgotten while this round ran
        e.fn();
    }
  } catch (...) {
    instant_end_running_.clear();
    throw;
  }
  instant_end_running_.clear();
}

void Engine::forget_instant_end(const void* owner) {
  std::erase_if(instant_end_, [owner](const InstantEnd& e) { return e.owner == owner; });
  for (InstantEnd& e : instant_end_running_) {
    if (e.owner == owner)
      e.owner = nullptr;
  }
}

bool Engine::step_until(std::int64_t limit) {
  for (;;) {
    if (!instant_end_.empty() && (queue_.empty() || queue_.top().time > now_.ns())) {
      run_instant_end();
      continue;
    }
    if (queue_.empty())
      return false;
    const QueueEntry e = queue_.top();
    if (e.time > limit)
      return false;
    queue_.pop();
    Node& n = node(e.payload);
    if (n.next_free == kCancelled) {
      free_slot(e.payload);
      // The queue now holds this entry's time as its monotone lower bound,
      // which may be past the clock; emptied, it must accept any time >= now.
      if (queue_.empty())
        queue_.clear();
      continue;
    }
    now_ = Time::from_ns(e.time);
    --live_events_;
    // Free the slot before running: the callback may schedule (reusing it)
    // or cancel its own, now stale, id; and an exception leaves no debris.
    InplaceFunction fn = std::move(n.fn);
    free_slot(e.payload);
    // With many pending events the next node is cold; fetch it while this
    // callback runs.
    if (!queue_.empty())
      __builtin_prefetch(&node(queue_.top().payload));
    fn();
    if ((++events_processed_ & (kProgressEvents - 1)) == 0) {
      for (Observer* o : observers_)
        o->on_progress(*this);
    }
    return true;
  }
}

void Engine::run_loop(Time limit, bool advance_to_limit) {
  stop_requested_ = false;
  for (Observer* o : observers_)
    o->on_run_start(*this);
  while (!stop_requested_ && step_until(limit.ns())) {
  }
  // Before on_run_end, so that observers see the clock the run ends at.
  if (advance_to_limit && !stop_requested_ && now_ < limit)
    now_ = limit;
  for (Observer* o : observers_)
    o->on_run_end(*this);
  throw_if_failed();
}

void Engine::run() {
  run_loop(Time::max(), false);
}

void Engine::run_until(Time t) {
  run_loop(t, true);
}

void Engine::spawn(Task<void> task, std::string name) {
  detail::ProcessHandle h = detail::make_process(std::move(task));
  detail::ProcessPromise& p = h.promise();
  p.engine = this;
  p.name = std::move(name);
  p.next = processes_;
  if (processes_ != nullptr)
    processes_->prev = &p;
  processes_ = &p;
  ++live_processes_;
  for (Observer* o : observers_)
    o->on_process_start(*this, p.name);
  p.start_event = resume_at(now_, h);
}

void Engine::process_finished(detail::ProcessPromise& p) {
  for (Observer* o : observers_)
    o->on_process_end(*this, p.name);
  if (p.prev != nullptr)
    p.prev->next = p.next;
  if (p.next != nullptr)
    p.next->prev = p.prev;
  if (processes_ == &p)
    processes_ = p.next;
  --live_processes_;
  detail::ProcessHandle::from_promise(p).destroy();
}

void Engine::process_failed(detail::ProcessPromise& p, std::exception_ptr e) {
  if (!failure_) {
    failure_ = std::move(e);
    failure_process_ = p.name.empty() ? "(unnamed)" : p.name;
  }
  stop();
}

void Engine::shutdown() {
  // Whatever registered them is being torn down too.
  instant_end_.clear();
  while (processes_ != nullptr) {
    detail::ProcessPromise* p = processes_;
    processes_ = p->next;
    if (processes_ != nullptr)
      processes_->prev = nullptr;
    --live_processes_;
    cancel(p->start_event);  // a process spawned but never started
    // Destroying the frame destroys the awaiters in it, which cancel their
    // pending wake-ups and leave the wait lists they were on.
    detail::ProcessHandle::from_promise(*p).destroy();
  }
  // Destroyed processes may have asked for more.
  instant_end_.clear();
}

void Engine::remove_observer(Observer* o) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), o), observers_.end());
}

}  // namespace stormsim::sim

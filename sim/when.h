// when_all / when_any: run several tasks concurrently and wait for all of
// them, or for the first.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/task.h"

namespace stormsim::sim {

namespace detail {

// Shared by the branches of one when_all/when_any and its awaiting parent.
struct JoinState {
  std::coroutine_handle<> parent;
  // Set once the parent has started every branch and suspended; until then
  // a branch that finishes synchronously must not resume it.
  bool parent_waiting = false;
  bool any = false;  // when_any: the first finished branch resumes the parent
  std::size_t remaining = 0;
  std::optional<std::size_t> first;
  std::exception_ptr error;

  // Called as a branch finishes; returns the coroutine to resume, if any.
  std::coroutine_handle<> branch_done(std::size_t index) {
    if (!first)
      first = index;
    --remaining;
    const bool resume = any ? first == index : remaining == 0;
    if (resume && parent_waiting) {
      parent_waiting = false;
      return parent;
    }
    return {};
  }
};

struct BranchPromise;
using BranchHandle = std::coroutine_handle<BranchPromise>;

struct Branch {
  using promise_type = BranchPromise;
  BranchHandle h;
};

struct BranchPromise : PooledFrame {
  JoinState* state = nullptr;
  std::size_t index = 0;

  Branch get_return_object() noexcept { return {BranchHandle::from_promise(*this)}; }
  std::suspend_always initial_suspend() const noexcept { return {}; }
  struct Final {
    bool await_ready() const noexcept { return false; }
    void await_suspend(BranchHandle h) const noexcept {
      if (auto next = h.promise().state->branch_done(h.promise().index)) {
        Trampoline::transfer(next);
      }
    }
    void await_resume() const noexcept {}
  };
  Final final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() noexcept {
    if (!state->error)
      state->error = std::current_exception();
  }
};

template <typename T>
Branch run_branch(Task<T> task, std::optional<T>* out) {
  out->emplace(co_await task);
}
inline Branch run_branch(Task<void> task) {
  co_await task;
}

// Owns the branch frames; destroying it destroys unfinished branches (the
// losers of a when_any), which cancels whatever they were waiting on.
class Join {
 public:
  Join() = default;
  Join(Join&& o) noexcept
      : state_(std::move(o.state_)), branches_(std::exchange(o.branches_, {})) {}
  Join(const Join&) = delete;
  Join& operator=(const Join&) = delete;
  Join& operator=(Join&&) = delete;
  ~Join() {
    for (BranchHandle h : branches_)
      h.destroy();
  }

  void add(Branch b) {
    branches_.push_back(b.h);
    b.h.promise().index = branches_.size() - 1;
  }
  bool empty() const { return branches_.empty(); }

  // Starts every branch; returns false when the parent need not suspend.
  bool start(std::coroutine_handle<> parent, bool any) {
    state_->parent = parent;
    state_->any = any;
    state_->remaining = branches_.size();
    for (BranchHandle h : branches_) {
      h.promise().state = state_.get();
      // To its first real suspension, so that synchronous results show.
      Trampoline::run(h);
      // when_any is decided: leave the rest unstarted.
      if (any && state_->first)
        return false;
    }
    if (state_->remaining == 0)
      return false;
    state_->parent_waiting = true;
    return true;
  }

  void rethrow() const {
    if (state_->error)
      std::rethrow_exception(state_->error);
  }
  std::size_t first() const { return *state_->first; }

 private:
  // Heap-held so its address survives moves of the awaiter before start.
  std::unique_ptr<JoinState> state_ = std::make_unique<JoinState>();
  std::vector<BranchHandle> branches_;
};

}  // namespace detail

// Awaitable: runs all tasks concurrently and resumes when every one has
// finished. Returns their results in order (nothing for Task<void>). The
// first exception thrown by any task is rethrown after all have finished.
template <typename T>
class [[nodiscard]] WhenAll {
 public:
  explicit WhenAll(std::vector<Task<T>> tasks) {
    if constexpr (!std::is_void_v<T>)
      results_.resize(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if constexpr (std::is_void_v<T>) {
        join_.add(detail::run_branch(std::move(tasks[i])));
      } else {
        join_.add(detail::run_branch(std::move(tasks[i]), &results_[i]));
      }
    }
  }
  bool await_ready() const noexcept { return join_.empty(); }
  bool await_suspend(std::coroutine_handle<> h) { return join_.start(h, false); }
  auto await_resume() {
    join_.rethrow();
    if constexpr (!std::is_void_v<T>) {
      std::vector<T> out;
      out.reserve(results_.size());
      for (auto& r : results_)
        out.push_back(std::move(*r));
      return out;
    }
  }

 private:
  struct Empty {};
  std::conditional_t<std::is_void_v<T>, Empty, std::vector<std::optional<T>>> results_;
  detail::Join join_;
};

// Awaitable: runs all tasks concurrently and resumes when the first one
// finishes, returning its index; the others are destroyed (cancelled) when
// the awaiter goes away, at the end of the co_await expression. An exception
// from the first finisher is rethrown.
template <typename T>
class [[nodiscard]] WhenAny {
 public:
  // At least one task: the first of none is undefined.
  explicit WhenAny(std::vector<Task<T>> tasks) {
    if (tasks.empty())
      throw std::invalid_argument("when_any of no tasks");
    for (auto& t : tasks)
      join_.add(run(std::move(t)));
  }
  bool await_ready() const noexcept { return join_.empty(); }
  bool await_suspend(std::coroutine_handle<> h) { return join_.start(h, true); }
  std::size_t await_resume() {
    join_.rethrow();
    return join_.first();
  }

 private:
  static detail::Branch run(Task<T> t) { co_await t; }
  detail::Join join_;
};

template <typename T>
WhenAll<T> when_all(std::vector<Task<T>> tasks) {
  return WhenAll<T>(std::move(tasks));
}
template <typename T>
WhenAny<T> when_any(std::vector<Task<T>> tasks) {
  return WhenAny<T>(std::move(tasks));
}

namespace detail {
template <typename T, typename... Rest>
std::vector<Task<T>> task_vector(Task<T> first, Task<Rest>... rest) {
  static_assert((std::is_same_v<T, Rest> && ...), "when_all/when_any need tasks of one type");
  std::vector<Task<T>> v;
  v.reserve(1 + sizeof...(rest));
  v.push_back(std::move(first));
  (v.push_back(std::move(rest)), ...);
  return v;
}
}  // namespace detail

template <typename T, typename... Rest>
WhenAll<T> when_all(Task<T> first, Task<Rest>... rest) {
  return WhenAll<T>(detail::task_vector(std::move(first), std::move(rest)...));
}

template <typename T, typename... Rest>
WhenAny<T> when_any(Task<T> first, Task<Rest>... rest) {
  return WhenAny<T>(detail::task_vector(std::move(first), std::move(rest)...));
}

}  // namespace stormsim::sim

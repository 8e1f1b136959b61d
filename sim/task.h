// sim::Task<T>: a lazily started coroutine that a simulation process awaits.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "sim/frame_pool.h"

namespace stormsim::sim {

template <typename T = void>
class Task;

namespace detail {

// Passes control between coroutines in a loop instead of by nested calls, so
// long chains of tasks that complete at once do not grow the native stack.
// Symmetric transfer (await_suspend returning a handle) is not enough: g++ 12
// makes it a tail call only when optimizing without sanitizers, and a Debug
// or ASan build overflowed after some 10^5 awaits.
class Trampoline {
 public:
  // For an await_suspend returning void: resumes `h` once the calling
  // coroutine has suspended, in the loop already running or in a new one.
  static void transfer(std::coroutine_handle<> h) noexcept {
    if (running_) {
      assert(!next_ && "one hand-off per suspension");
      next_ = h;
    } else {
      run(h);
    }
  }
  // Resumes `h` now and runs everything it hands on until all of it has
  // suspended or finished.
  static void run(std::coroutine_handle<> h) noexcept {
    const bool outer_running = std::exchange(running_, true);
    const std::coroutine_handle<> outer_next = std::exchange(next_, h);
    while (next_) {
      std::exchange(next_, {}).resume();
    }
    running_ = outer_running;
    next_ = outer_next;
  }

 private:
  // Per thread, so that engines may run in parallel threads.
  static inline thread_local bool running_ = false;
  static inline thread_local std::coroutine_handle<> next_;
};

// Resumes whoever awaited the task when it finishes.
struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  void await_suspend(std::coroutine_handle<Promise> h) const noexcept {
    if (auto cont = h.promise().continuation) {
      Trampoline::transfer(cont);
    }
  }
  void await_resume() const noexcept {}
};

struct PromiseBase : PooledFrame {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error)
      std::rethrow_exception(error);
    assert(value.has_value());
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const {
    if (error)
      std::rethrow_exception(error);
  }
};

}  // namespace detail

// A unit of simulated work written as a coroutine. It starts when awaited
// (`co_await child()`) or when handed to Engine::spawn, and owns its frame:
// destroying a Task destroys a suspended coroutine and, through the awaiters
// in its frame, cancels whatever it was waiting for.
template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_)
        h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_)
      h_.destroy();
  }

  bool valid() const { return static_cast<bool>(h_); }
  bool done() const { return h_ && h_.done(); }
  Handle handle() const { return h_; }
  Handle release() { return std::exchange(h_, {}); }

  struct Awaiter {
    Handle h;
    bool await_ready() const noexcept { return !h || h.done(); }
    void await_suspend(std::coroutine_handle<> parent) noexcept {
      h.promise().continuation = parent;
      // The parent may be resumed, even destroyed, before this returns.
      detail::Trampoline::transfer(h);
    }
    T await_resume() { return h.promise().take(); }
  };
  Awaiter operator co_await() const& noexcept { return Awaiter{h_}; }

 private:
  Handle h_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace stormsim::sim

// Awaitable synchronization for processes: events, signals, resources with
// capacity, and bounded queues. Waiters are woken in FIFO order through
// ordinary events at the current time, so wake-ups are deterministic and
// never recurse into the notifier.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "sim/engine.h"

namespace stormsim::sim {

namespace detail {

class WaitList;

// One suspended coroutine on a wait list. It lives inside the awaiter, in
// the coroutine frame: destroying the frame unlinks it and cancels a
// scheduled wake-up, so destroyed processes leave no dangling handles.
class WaitNode {
 public:
  explicit WaitNode(Engine& e) : engine_(&e) {}
  WaitNode(const WaitNode&) = delete;
  WaitNode& operator=(const WaitNode&) = delete;
  ~WaitNode();

  // Schedules the resumption of this waiter at the current time.
  void wake() {
    wake_ = engine_->schedule_at(engine_->now(), [this] {
      wake_ = {};
      handle_.resume();
    });
  }

 protected:
  // On some wait list; false once the list's owner has died.
  bool queued() const { return list_ != nullptr; }

  Engine* engine_;
  std::coroutine_handle<> handle_;

 private:
  friend class WaitList;
  WaitList* list_ = nullptr;
  WaitNode* prev_ = nullptr;
  WaitNode* next_ = nullptr;
  EventId wake_;
};

// Intrusive FIFO of waiters. When the list dies first, its waiters are
// detached so their later destruction does not touch it.
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList() {
    while (!empty())
      pop_front();
  }

  bool empty() const { return head_ == nullptr; }
  std::size_t size() const { return size_; }
  WaitNode* front() const { return head_; }

  void push_back(WaitNode* n) {
    assert(n->list_ == nullptr);
    n->list_ = this;
    n->prev_ = tail_;
    n->next_ = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ = n;
    } else {
      head_ = n;
    }
    tail_ = n;
    ++size_;
  }
  WaitNode* pop_front() {
    WaitNode* n = head_;
    remove(n);
    return n;
  }
  void remove(WaitNode* n) {
    assert(n->list_ == this);
    if (n->prev_ != nullptr) {
      n->prev_->next_ = n->next_;
    } else {
      head_ = n->next_;
    }
    if (n->next_ != nullptr) {
      n->next_->prev_ = n->prev_;
    } else {
      tail_ = n->prev_;
    }
    n->list_ = nullptr;
    n->prev_ = n->next_ = nullptr;
    --size_;
  }

 private:
  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
  std::size_t size_ = 0;
};

inline WaitNode::~WaitNode() {
  if (list_ != nullptr)
    list_->remove(this);
  if (wake_)
    engine_->cancel(wake_);
}

}  // namespace detail

// A level-triggered flag: waiting on a set Event returns at once; set()
// wakes every waiter; reset() clears it for reuse.
class Event {
 public:
  explicit Event(Engine& e) : engine_(&e) {}

  bool is_set() const { return set_; }
  void set() {
    set_ = true;
    while (!waiters_.empty())
      waiters_.pop_front()->wake();
  }
  void reset() { set_ = false; }
  std::size_t waiting() const { return waiters_.size(); }

  class Awaiter : detail::WaitNode {
   public:
    explicit Awaiter(Event& ev) : WaitNode(*ev.engine_), ev_(&ev) {}
    bool await_ready() const noexcept { return ev_->set_; }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      ev_->waiters_.push_back(this);
    }
    void await_resume() const noexcept {}

   private:
    Event* ev_;
  };
  Awaiter wait() { return Awaiter(*this); }
  Awaiter operator co_await() { return wait(); }

 private:
  Engine* engine_;
  bool set_ = false;
  detail::WaitList waiters_;
};

// An edge-triggered notification: wait() always suspends until the next
// notify_one()/notify_all().
class Signal {
 public:
  explicit Signal(Engine& e) : engine_(&e) {}

  void notify_one() {
    if (!waiters_.empty())
      waiters_.pop_front()->wake();
  }
  void notify_all() {
    while (!waiters_.empty())
      waiters_.pop_front()->wake();
  }
  std::size_t waiting() const { return waiters_.size(); }

  class Awaiter : detail::WaitNode {
   public:
    explicit Awaiter(Signal& s) : WaitNode(*s.engine_), s_(&s) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      s_->waiters_.push_back(this);
    }
    void await_resume() const noexcept {}

   private:
    Signal* s_;
  };
  Awaiter wait() { return Awaiter(*this); }

 private:
  Engine* engine_;
  detail::WaitList waiters_;
};

class Resource;

// Units of a Resource held by a process; released when destroyed.
class [[nodiscard]] Permit {
 public:
  Permit() = default;
  Permit(Resource* r, std::int64_t units) : r_(r), units_(units) {}
  Permit(Permit&& o) noexcept
      : r_(std::exchange(o.r_, nullptr)), units_(std::exchange(o.units_, 0)) {}
  Permit& operator=(Permit&& o) noexcept {
    if (this != &o) {
      release();
      r_ = std::exchange(o.r_, nullptr);
      units_ = std::exchange(o.units_, 0);
    }
    return *this;
  }
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { release(); }

  std::int64_t units() const { return units_; }
  void release();

 private:
  Resource* r_ = nullptr;
  std::int64_t units_ = 0;
};

// A counting semaphore with a capacity: servers of a queue, queue-pair
// slots, buffer space. Strict FIFO: a large request at the head is not
// overtaken by later small ones, so nobody starves.
class Resource {
 public:
  Resource(Engine& e, std::int64_t capacity) : engine_(&e), capacity_(capacity) {
    assert(capacity > 0);
  }

  std::int64_t capacity() const { return capacity_; }
  std::int64_t in_use() const { return in_use_; }
  std::int64_t available() const { return capacity_ - in_use_; }
  std::size_t waiting() const { return waiters_.size(); }

  class Awaiter : detail::WaitNode {
   public:
    Awaiter(Resource& r, std::int64_t units) : WaitNode(*r.engine_), r_(&r), units_(units) {}
    // A waiter destroyed while queued (a when_any loser, a process shut
    // down) may unblock those behind it; one destroyed after its grant but
    // before resuming must give the units back, or they leak for good.
    ~Awaiter() {
      if (!queued())
        return;
      if (has_units_) {
        r_->granted_.remove(this);
        r_->release(units_);
      } else {
        r_->waiters_.remove(this);
        r_->grant();
      }
    }
    bool await_ready() {
      if (r_->waiters_.empty() && r_->available() >= units_) {
        r_->in_use_ += units_;
        return true;
      }
      return false;
    }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      r_->waiters_.push_back(this);
    }
    Permit await_resume() {
      if (has_units_)
        r_->granted_.remove(this);
      has_units_ = false;
      return Permit(r_, units_);
    }

   private:
    friend class Resource;
    Resource* r_;
    std::int64_t units_;
    bool has_units_ = false;  // granted, on Resource::granted_ until resumed
  };
  // Awaitable returning a Permit for `units` (1 <= units <= capacity).
  Awaiter acquire(std::int64_t units = 1) {
    assert(units >= 1 && units <= capacity_);
    return Awaiter(*this, units);
  }

  void release(std::int64_t units) {
    assert(units <= in_use_);
    in_use_ -= units;
    grant();
  }

 private:
  // Units pass to waiters at release time, in order, so a process arriving
  // between the release and the waiter's resumption cannot take them.
  void grant() {
    while (!waiters_.empty()) {
      auto* w = static_cast<Awaiter*>(waiters_.front());
      if (available() < w->units_)
        break;
      in_use_ += w->units_;
      waiters_.pop_front();
      granted_.push_back(w);
      w->has_units_ = true;
      w->wake();
    }
  }

  Engine* engine_;
  std::int64_t capacity_;
  std::int64_t in_use_ = 0;
  detail::WaitList waiters_;
  detail::WaitList granted_;  // granted, wake-up pending
};

inline void Permit::release() {
  if (r_ != nullptr)
    std::exchange(r_, nullptr)->release(std::exchange(units_, 0));
}

// A bounded FIFO channel between processes: put() waits while full, get()
// waits while empty. Items go straight to a waiting getter.
template <typename T>
class Store {
 public:
  Store(Engine& e, std::size_t capacity) : engine_(&e), capacity_(capacity) {
    assert(capacity > 0);
  }

  std::size_t size() const { return items_.size(); }
  std::size_t capacity() const { return capacity_; }

  class PutAwaiter : detail::WaitNode {
   public:
    PutAwaiter(Store& s, T item) : WaitNode(*s.engine_), s_(&s), item_(std::move(item)) {}
    bool await_ready() { return s_->offer(item_); }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      s_->putters_.push_back(this);
    }
    void await_resume() const noexcept {}

   private:
    friend class Store;
    Store* s_;
    T item_;
  };

  class GetAwaiter : detail::WaitNode {
   public:
    explicit GetAwaiter(Store& s) : WaitNode(*s.engine_), s_(&s) {}
    // Handed an item but destroyed before resuming (a when_any loser): the
    // item goes back to the front instead of vanishing.
    ~GetAwaiter() {
      if (queued() && item_.has_value()) {
        s_->handed_.remove(this);
        s_->give_back(std::move(*item_));
      }
    }
    bool await_ready() {
      if (s_->items_.empty())
        return false;
      item_.emplace(std::move(s_->items_.front()));
      s_->items_.pop_front();
      s_->admit_putter();
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      s_->getters_.push_back(this);
    }
    T await_resume() {
      if (queued())
        s_->handed_.remove(this);
      T item = std::move(*item_);
      item_.reset();
      return item;
    }

   private:
    friend class Store;
    Store* s_;
    std::optional<T> item_;
  };

  PutAwaiter put(T item) { return PutAwaiter(*this, std::move(item)); }
  GetAwaiter get() { return GetAwaiter(*this); }

 private:
  // Hands `item` to a waiting getter or queues it; false when full.
  bool offer(T& item) {
    if (!getters_.empty()) {
      hand_over(std::move(item));
      return true;
    }
    if (items_.size() < capacity_) {
      items_.push_back(std::move(item));
      return true;
    }
    return false;
  }
  void hand_over(T&& item) {
    auto* g = static_cast<GetAwaiter*>(getters_.pop_front());
    g->item_.emplace(std::move(item));
    handed_.push_back(g);
    g->wake();
  }
  // May leave the store one over capacity until gets drain it.
  void give_back(T&& item) {
    if (!getters_.empty()) {
      hand_over(std::move(item));
    } else {
      items_.push_front(std::move(item));
    }
  }
  void admit_putter() {
    if (putters_.empty() || items_.size() >= capacity_)
      return;
    auto* p = static_cast<PutAwaiter*>(putters_.pop_front());
    items_.push_back(std::move(p->item_));
    p->wake();
  }

  Engine* engine_;
  std::size_t capacity_;
  std::deque<T> items_;
  detail::WaitList getters_;
  detail::WaitList handed_;  // handed an item, wake-up pending
  detail::WaitList putters_;
};

}  // namespace stormsim::sim

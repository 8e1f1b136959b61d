// InplaceFunction: a move-only void() callable stored without heap allocation.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace stormsim::sim {

// Type-erased callable with small-buffer storage only: a callable larger than
// kCapacity fails to compile instead of silently allocating, which keeps the
// event loop free of per-event heap traffic. Coroutine resumptions (one
// handle) and lambdas capturing a few pointers fit.
class InplaceFunction {
 public:
  // 40 bytes of storage and two function pointers make 56 bytes, so an
  // engine event node (this plus two 32-bit fields) fills one cache line.
  static constexpr std::size_t kCapacity = 40;

  InplaceFunction() = default;

  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, InplaceFunction>>>
  InplaceFunction(F&& f) {  // NOLINT: implicit by design, like std::function
    static_assert(sizeof(D) <= kCapacity, "callable too large for an event; capture less");
    static_assert(alignof(D) <= alignof(void*), "callable over-aligned");
    static_assert(std::is_nothrow_move_constructible_v<D>, "callable must be nothrow-movable");
    ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    invoke_ = [](void* p) { (*static_cast<D*>(p))(); };
    if constexpr (!std::is_trivially_destructible_v<D> || !std::is_trivially_copyable_v<D>) {
      manage_ = [](void* dst, void* src) {
        if (dst != nullptr)
          ::new (dst) D(std::move(*static_cast<D*>(src)));
        static_cast<D*>(src)->~D();
      };
    }
  }

  InplaceFunction(InplaceFunction&& o) noexcept { take(o); }
  InplaceFunction& operator=(InplaceFunction&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  InplaceFunction(const InplaceFunction&) = delete;
  InplaceFunction& operator=(const InplaceFunction&) = delete;
  ~InplaceFunction() { reset(); }

  explicit operator bool() const { return invoke_ != nullptr; }
  void operator()() { invoke_(storage_); }

  void reset() {
    if (manage_ != nullptr)
      manage_(nullptr, storage_);
    invoke_ = nullptr;
    manage_ = nullptr;
  }

 private:
  void take(InplaceFunction& o) noexcept {
    if (o.manage_ != nullptr) {
      o.manage_(storage_, o.storage_);
    } else {
      __builtin_memcpy(storage_, o.storage_, kCapacity);
    }
    invoke_ = o.invoke_;
    manage_ = o.manage_;
    o.invoke_ = nullptr;
    o.manage_ = nullptr;
  }

  // Zeroed so that moving a callable smaller than kCapacity copies no
  // indeterminate bytes.
  alignas(void*) unsigned char storage_[kCapacity] = {};
  void (*invoke_)(void*) = nullptr;
  // Moves (dst != nullptr) and destroys src; null for trivially copyable callables.
  void (*manage_)(void* dst, void* src) = nullptr;
};

}  // namespace stormsim::sim

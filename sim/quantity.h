// Strong types for byte counts and rates. Both are doubles: a flow's
// remaining bytes are fractional under bandwidth sharing.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <compare>
#include <string>

#include "sim/time.h"

namespace stormsim::sim {

namespace detail {
// CRTP base for a double wrapped in its own type: arithmetic within the type,
// scaling by plain doubles, and nothing that silently mixes types.
template <typename Derived>
class DoubleQuantity {
 public:
  constexpr DoubleQuantity() = default;
  constexpr explicit DoubleQuantity(double v) : v_(v) {}
  constexpr double value() const { return v_; }
  constexpr auto operator<=>(const DoubleQuantity&) const = default;

  friend constexpr Derived operator+(Derived a, Derived b) { return Derived(a.v_ + b.v_); }
  friend constexpr Derived operator-(Derived a, Derived b) { return Derived(a.v_ - b.v_); }
  friend constexpr Derived operator*(Derived a, double k) { return Derived(a.v_ * k); }
  friend constexpr Derived operator*(double k, Derived a) { return Derived(a.v_ * k); }
  friend constexpr Derived operator/(Derived a, double k) { return Derived(a.v_ / k); }
  friend constexpr double operator/(Derived a, Derived b) { return a.v_ / b.v_; }
  constexpr Derived& operator+=(Derived o) {
    v_ += o.v_;
    return static_cast<Derived&>(*this);
  }
  constexpr Derived& operator-=(Derived o) {
    v_ -= o.v_;
    return static_cast<Derived&>(*this);
  }

 private:
  double v_ = 0.0;
};
}  // namespace detail

// A number of bytes.
class Bytes : public detail::DoubleQuantity<Bytes> {
 public:
  using DoubleQuantity::DoubleQuantity;
};

// A data rate in bytes per second.
class BytesPerSec : public detail::DoubleQuantity<BytesPerSec> {
 public:
  using DoubleQuantity::DoubleQuantity;
  static constexpr BytesPerSec from_bits_per_sec(double bps) { return BytesPerSec(bps / 8.0); }
  constexpr double bits_per_sec() const { return value() * 8.0; }
};

// Bytes moved at a rate over a span of time.
inline Bytes operator*(BytesPerSec r, Time t) {
  return Bytes(r.value() * t.seconds());
}
inline Bytes operator*(Time t, BytesPerSec r) {
  return r * t;
}
inline BytesPerSec operator/(Bytes b, Time t) {
  return BytesPerSec(b.value() / t.seconds());
}

// Time to move `b` at rate `r`, rounded up to the next nanosecond so that a
// transfer never completes before its last byte could have arrived.
inline Time transfer_time(Bytes b, BytesPerSec r) {
  // Scale before dividing: b/r*1e9 overshoots whole results (61 B at 1 GB/s
  // gave 62 ns), while b*1e9/r is exact whenever the true result is whole.
  const double ns = std::ceil(b.value() * 1e9 / r.value());
  return Time::from_seconds(ns * 1e-9);
}

// Human-readable forms with decimal SI prefixes: "1.5 GB", "12.5 GB/s".
std::string to_string(Bytes b);
std::string to_string(BytesPerSec r);

}  // namespace stormsim::sim

template <>
struct fmt::formatter<stormsim::sim::Bytes> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(stormsim::sim::Bytes b, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(stormsim::sim::to_string(b), ctx);
  }
};

template <>
struct fmt::formatter<stormsim::sim::BytesPerSec> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(stormsim::sim::BytesPerSec r, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(stormsim::sim::to_string(r), ctx);
  }
};

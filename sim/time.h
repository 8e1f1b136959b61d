// sim::Time: simulated time as a strong type over int64 nanoseconds.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace stormsim::sim {

// A point in (or span of) simulated time with 1 ns resolution. int64 gives
// +-292 years, enough for a months-long training campaign. The clock is never
// a double: repeated additions of doubles drift and tiny events vanish.
class Time {
 public:
  constexpr Time() = default;

  static constexpr Time from_ns(std::int64_t ns) { return Time(ns); }
  // Rounds to the nearest nanosecond; throws std::out_of_range when |s| is
  // beyond the int64 range or not finite.
  static Time from_seconds(double s);
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr double us() const { return static_cast<double>(ns_) * 1e-3; }
  constexpr double ms() const { return static_cast<double>(ns_) * 1e-6; }

  constexpr auto operator<=>(const Time&) const = default;

  constexpr Time operator-() const { return Time(-ns_); }
  constexpr Time& operator+=(Time o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Time& operator-=(Time o) {
    ns_ -= o.ns_;
    return *this;
  }
  friend constexpr Time operator+(Time a, Time b) { return Time(a.ns_ + b.ns_); }
  friend constexpr Time operator-(Time a, Time b) { return Time(a.ns_ - b.ns_); }
  template <std::integral I>
  friend constexpr Time operator*(Time a, I k) {
    return Time(a.ns_ * static_cast<std::int64_t>(k));
  }
  template <std::integral I>
  friend constexpr Time operator*(I k, Time a) {
    return Time(a.ns_ * static_cast<std::int64_t>(k));
  }
  template <std::integral I>
  friend constexpr Time operator/(Time a, I k) {
    return Time(a.ns_ / static_cast<std::int64_t>(k));
  }
  friend constexpr Time operator%(Time a, Time b) { return Time(a.ns_ % b.ns_); }
  // How many times b fits in a, as a real number.
  friend constexpr double operator/(Time a, Time b) {
    return static_cast<double>(a.ns_) / static_cast<double>(b.ns_);
  }
  // Scales by a real factor, rounding to the nearest nanosecond.
  template <std::floating_point F>
  friend Time operator*(Time a, F f) {
    // In nanoseconds: a detour through seconds is off by a nanosecond or
    // more past 2^51 ns (26 days).
    return from_ns_rounded(static_cast<double>(a.ns_) * static_cast<double>(f));
  }
  template <std::floating_point F>
  friend Time operator*(F f, Time a) {
    return a * f;
  }

 private:
  constexpr explicit Time(std::int64_t ns) : ns_(ns) {}
  static Time from_ns_rounded(double ns);
  std::int64_t ns_ = 0;
};

inline Time Time::from_ns_rounded(double ns) {
  const double rounded = std::round(ns);
  // 2^63 is exactly representable; anything at or beyond it overflows.
  if (!std::isfinite(rounded) || rounded >= 9223372036854775808.0 ||
      rounded < -9223372036854775808.0) {
    throw std::out_of_range(
        fmt::format("time of {} s is outside the simulator's range", ns * 1e-9));
  }
  return Time(static_cast<std::int64_t>(rounded));
}

inline Time Time::from_seconds(double s) {
  return from_ns_rounded(s * 1e9);
}

// Formats exactly in the largest unit that keeps the value >= 1 (ns, us, ms,
// s), e.g. "0s", "250ns", "1.5us", "12.345ms", "3s", "1.000000001s".
std::string to_string(Time t);

namespace literals {
constexpr Time operator""_ns(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v));
}
constexpr Time operator""_us(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v) * 1000);
}
constexpr Time operator""_ms(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v) * 1000000);
}
constexpr Time operator""_s(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v) * 1000000000);
}
constexpr Time operator""_min(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v) * 60000000000);
}
constexpr Time operator""_h(unsigned long long v) {
  return Time::from_ns(static_cast<std::int64_t>(v) * 3600000000000);
}
}  // namespace literals

}  // namespace stormsim::sim

template <>
struct fmt::formatter<stormsim::sim::Time> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(stormsim::sim::Time t, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(stormsim::sim::to_string(t), ctx);
  }
};

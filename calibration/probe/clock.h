// Wall-clock time for measurements on the real machine.
#pragma once

#include <time.h>

#include <cstdint>

namespace stormsim::probe {

// CLOCK_MONOTONIC in nanoseconds. The probe measures real elapsed time, which
// sim::Time (simulated time) is not meant for; a vDSO call, cheap enough to
// take per completion batch.
inline std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline constexpr std::int64_t kNsPerSec = 1'000'000'000;

inline double to_seconds(std::int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

}  // namespace stormsim::probe

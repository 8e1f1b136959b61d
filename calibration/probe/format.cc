#include "calibration/probe/format.h"

#include <fmt/format.h>

#include <cmath>

namespace stormsim::probe {

std::string size_text(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  std::uint64_t v = bytes;
  while (u < 5 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  if (u == 0 && bytes >= 1024) {
    return fmt::format("{:.4g}{}", static_cast<double>(bytes) / 1024.0, "KiB");
  }
  return fmt::format("{}{}", v, units[u]);
}

std::string rate_text(double bps) {
  const char* units[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
  int u = 0;
  while (u < 4 && std::abs(bps) >= 1000.0) {
    bps /= 1000.0;
    ++u;
  }
  return fmt::format("{:.4g}{}", bps, units[u]);
}

std::string count_text(double n) {
  if (n >= 1e9) {
    return fmt::format("{:.4g}G", n / 1e9);
  }
  if (n >= 1e6) {
    return fmt::format("{:.4g}M", n / 1e6);
  }
  if (n >= 1e3) {
    return fmt::format("{:.4g}k", n / 1e3);
  }
  return fmt::format("{:.4g}", n);
}

std::string ns_text(double ns) {
  if (!std::isfinite(ns)) {
    return "-";
  }
  if (ns >= 1e9) {
    return fmt::format("{:.4g}s", ns / 1e9);
  }
  if (ns >= 1e6) {
    return fmt::format("{:.4g}ms", ns / 1e6);
  }
  if (ns >= 1e3) {
    return fmt::format("{:.4g}us", ns / 1e3);
  }
  return fmt::format("{:.0f}ns", ns);
}

}  // namespace stormsim::probe

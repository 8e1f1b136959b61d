// Catch2 printing for sim::Time: failure messages show the formatted time
// and its exact nanoseconds.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "sim/time.h"

namespace Catch {
template <>
struct StringMaker<stormsim::sim::Time> {
  static std::string convert(stormsim::sim::Time t) { return fmt::format("{} ({} ns)", t, t.ns()); }
};
}  // namespace Catch

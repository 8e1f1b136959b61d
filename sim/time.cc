#include "sim/time.h"

#include <cstdlib>

namespace stormsim::sim {

std::string to_string(Time t) {
  const std::int64_t ns = t.ns();
  if (ns == 0) return "0s";
  const std::int64_t mag = ns < 0 ? -ns : ns;
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1000000000, "s"}, {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
  for (const Unit& u : kUnits) {
    if (mag >= u.scale || u.scale == 1) {
      if (ns % u.scale == 0) return fmt::format("{}{}", ns / u.scale, u.name);
      return fmt::format("{:.6g}{}", static_cast<double>(ns) / static_cast<double>(u.scale), u.name);
    }
  }
  return fmt::format("{}ns", ns);
}

}  // namespace stormsim::sim

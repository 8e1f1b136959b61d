#include "sim/time.h"

#include <cstdint>

namespace stormsim::sim {

std::string to_string(Time t) {
  const std::int64_t ns = t.ns();
  if (ns == 0)
    return "0s";
  // Unsigned magnitude: -INT64_MIN does not fit an int64.
  const std::uint64_t mag =
      ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  struct Unit {
    std::uint64_t scale;
    int digits;  // decimal digits of one unit in ns
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {1000000000, 9, "s"}, {1000000, 6, "ms"}, {1000, 3, "us"}, {1, 0, "ns"}};
  // The largest unit the value reaches, printed exactly: integer part, then
  // the remainder with its trailing zeros trimmed. Never rounded, never in
  // scientific notation.
  for (const Unit& u : kUnits) {
    if (mag < u.scale && u.scale != 1)
      continue;
    const char* sign = ns < 0 ? "-" : "";
    const std::uint64_t whole = mag / u.scale;
    std::uint64_t frac = mag % u.scale;
    if (frac == 0)
      return fmt::format("{}{}{}", sign, whole, u.name);
    int digits = u.digits;
    while (frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
    return fmt::format("{}{}.{:0{}}{}", sign, whole, frac, digits, u.name);
  }
  return fmt::format("{}ns", ns);  // unreachable: the ns unit always matches
}

}  // namespace stormsim::sim

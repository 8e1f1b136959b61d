#include "sim/quantity.h"

#include <array>
#include <cmath>

namespace stormsim::sim {
namespace {

std::string with_si_prefix(double v, const char* unit) {
  static constexpr std::array<const char*, 6> kPrefixes = {"", "K", "M", "G", "T", "P"};
  std::size_t i = 0;
  double mag = std::fabs(v);
  while (mag >= 1000.0 && i + 1 < kPrefixes.size()) {
    mag /= 1000.0;
    v /= 1000.0;
    ++i;
  }
  return fmt::format("{:.4g} {}{}", v, kPrefixes[i], unit);
}

}  // namespace

std::string to_string(Bytes b) {
  return with_si_prefix(b.value(), "B");
}
std::string to_string(BytesPerSec r) {
  return with_si_prefix(r.value(), "B/s");
}

}  // namespace stormsim::sim

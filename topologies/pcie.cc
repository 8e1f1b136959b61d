#include "topologies/pcie.h"

#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include "sim/units.h"

namespace stormsim::topo {
namespace {

struct Generation {
  double giga_transfers;  // per lane, per direction
  double efficiency;      // line encoding
};

// PCI-SIG base specifications: 2.5 and 5 GT/s with 8b/10b (gen 1-2); 8, 16
// and 32 GT/s with 128b/130b (gen 3-5); 64 GT/s PAM4 in FLIT mode, 242 of
// every 256 bytes carrying data (gen 6). So gen5 x16 = 32 x 16 x 128/130 / 8
// = 63.0 GB/s per direction, gen4 x4 = 7.88 GB/s.
constexpr std::array<Generation, 6> kGenerations = {{
    {2.5, 8.0 / 10.0},
    {5.0, 8.0 / 10.0},
    {8.0, 128.0 / 130.0},
    {16.0, 128.0 / 130.0},
    {32.0, 128.0 / 130.0},
    {64.0, 242.0 / 256.0},
}};

bool valid_width(int lanes) {
  return lanes == 1 || lanes == 2 || lanes == 4 || lanes == 8 || lanes == 16;
}

std::optional<int> parse_int(std::string_view text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return v;
}

// "gen5x16" / "pcie5x16", case-insensitive.
std::optional<sim::BytesPerSec> parse_pcie(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = lower;
  if (rest.starts_with("gen"))
    rest.remove_prefix(3);
  else if (rest.starts_with("pcie"))
    rest.remove_prefix(4);
  else
    return std::nullopt;
  const std::size_t x = rest.find('x');
  if (x == std::string_view::npos)
    return std::nullopt;
  const std::optional<int> gen = parse_int(rest.substr(0, x));
  const std::optional<int> lanes = parse_int(rest.substr(x + 1));
  if (!gen || !lanes || *gen < 1 || *gen > 6 || !valid_width(*lanes))
    return std::nullopt;
  return pcie_rate(*gen, *lanes);
}

}  // namespace

sim::BytesPerSec pcie_rate(int generation, int lanes) {
  const Generation& g = kGenerations.at(static_cast<std::size_t>(generation - 1));
  return sim::BytesPerSec(g.giga_transfers * 1e9 * g.efficiency * lanes / 8.0);
}

std::optional<sim::BytesPerSec> parse_link_rate(std::string_view text) {
  if (auto pcie = parse_pcie(text))
    return pcie;
  try {
    return sim::units::parse_data_rate(text);
  } catch (const sim::units::UnitError&) {
    return std::nullopt;
  }
}

}  // namespace stormsim::topo

// PCIe link rates from generation and width, and link-rate settings in YAML
// that are either a PCIe link ("gen5x16") or an explicit rate ("50GB/s").
#pragma once

#include <optional>
#include <string_view>

#include "sim/quantity.h"

namespace stormsim::topo {

// Usable data rate of one direction of a PCIe link after line encoding:
// transfer rate x lanes x encoding efficiency / 8. Transaction-layer overhead
// (TLP headers, flow control; typically 5-15% more) is left to the device
// models and calibration. Generations 1 to 6; widths 1, 2, 4, 8, 16.
sim::BytesPerSec pcie_rate(int generation, int lanes);

// Parses "gen5x16" (also "pcie5x16", "Gen4x4") or a data rate with units
// ("63GB/s", "400Gbps"). Returns nullopt for text that is neither; the
// caller turns that into a ConfigError at the right key.
std::optional<sim::BytesPerSec> parse_link_rate(std::string_view text);

}  // namespace stormsim::topo

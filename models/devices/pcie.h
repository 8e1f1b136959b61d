// PCIe: the payload efficiency of a server's PCIe links.
//
// The topology lays out the PCIe tree (switches shared by GPUs, NICs and
// drives, DGX-style) and gives each link its generation and width; this
// model turns raw link rates into payload rates: transaction-layer packet
// headers take a share of every packet, set by the maximum payload size.
#pragma once

#include <vector>

#include "models/cluster.h"

namespace stormsim::models {

class Pcie : public Device {
 public:
  static sim::config::ModelSpec spec();
  explicit Pcie(const ComponentContext& ctx);

  void bind(Cluster& cluster) override;

  // Payload bytes per link byte: mps / (mps + overhead).
  double efficiency() const { return efficiency_; }
  // Payload efficiency with `max_payload` bytes per TLP and `overhead` bytes
  // of header, sequence number, LCRC and framing around each.
  static double payload_efficiency(double max_payload, double overhead);

 private:
  sim::config::Params params_;
  double efficiency_;
  std::vector<std::uint32_t> servers_;
};

}  // namespace stormsim::models

#include "models/devices/pcie.h"

#include "models/registry.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

double Pcie::payload_efficiency(double max_payload, double overhead) {
  return max_payload / (max_payload + overhead);
}

ModelSpec Pcie::spec() {
  return ModelSpec{
      "pcie",
      "A server's PCIe complex: transaction-layer efficiency of its links (generation and "
      "width of each link come from the topology, e.g. gen5x16).",
      {
          ParamSpec::string_list("on").def("[]").help(
              "servers (names or groups); [] takes every server no other pcie component claims"),
          // PCI Express Base Specification: the maximum payload size (MPS)
          // is 128 to 4096 B; 256 B is the common setting on servers.
          ParamSpec::quantity("max_payload", Dimension::kSize)
              .def("256B")
              .min(128)
              .max(4096)
              .help("maximum TLP payload size (MPS)"),
          // PCI Express Base Specification: 4-DW TLP header 16 B + sequence
          // number 2 B + LCRC 4 B + framing 2 B (Gen3+) = 24 B per TLP.
          ParamSpec::quantity("tlp_overhead", Dimension::kSize)
              .def("24B")
              .min(0)
              .max(256)
              .help("bytes around each TLP payload: header, sequence number, LCRC, framing"),
      }};
}

STORMSIM_REGISTER_MODEL(Pcie);

Pcie::Pcie(const ComponentContext& ctx)
    : Device(ctx),
      params_(ctx.params),
      efficiency_(payload_efficiency(ctx.params.bytes("max_payload").value(),
                                     ctx.params.bytes("tlp_overhead").value())) {}

void Pcie::bind(Cluster& cluster) {
  const auto& on = params_.string_list("on");
  servers_ =
      on.empty() ? cluster.unbound_servers(false) : cluster.select_servers(on, params_, "on");
  const topo::Topology& t = cluster.topology();
  std::vector<bool> mine(t.servers().size(), false);
  for (std::uint32_t i = 0; i < servers_.size(); ++i) {
    cluster.bind_server(servers_[i], *this, i, params_, "on");
    mine[servers_[i]] = true;
  }
  for (topo::LinkId l = 0; l < t.directed_link_count(); ++l) {
    const std::uint32_t s = t.server_of(t.link_source(l));
    if (t.link_kind(l) == topo::LinkKind::kPcie && s != topo::kNoServer && mine[s])
      cluster.flows().set_capacity(cluster.network().constraint(l), t.capacity(l) * efficiency_);
  }
}

}  // namespace stormsim::models

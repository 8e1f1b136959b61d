// fat_tree: the k-ary fat-tree of Al-Fares, Loukissas and Vahdat ("A
// scalable, commodity data center network architecture", SIGCOMM 2008):
// k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 core switches,
// k^3/4 host ports. Every NIC takes one host port.
#include <fmt/format.h>

#include "topologies/generators/common.h"
#include "topologies/generators/generators.h"

namespace stormsim::topo::gen {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec fat_tree_spec() {
  return ModelSpec{
      "fat_tree",
      "k-ary fat-tree: k pods, k/2 edge and k/2 aggregation switches each, (k/2)^2 cores",
      {
          ParamSpec::integer("k").min(2).max(256).help(
              "switch port count (even); k^3/4 host ports, one per NIC"),
          // NVIDIA Quantum-2 / ConnectX-7 NDR InfiniBand: 400 Gb/s per port.
          ParamSpec::quantity("link_rate", Dimension::kDataRate)
              .def("400Gbps")
              .positive()
              .help("rate of every switch-to-switch link"),
          link_latency_param(),
      }};
}

namespace {

// Fills edge-switch host ports in order: GPU servers' NICs first, then
// storage servers' NICs starting on a fresh edge switch.
class PortFiller {
 public:
  PortFiller(FabricInput& in, const std::vector<Vertex>& edges, std::int64_t per_edge)
      : in_(in), edges_(edges), per_edge_(per_edge) {}

  void place(const std::vector<std::uint32_t>& servers, sim::Time latency) {
    for (std::uint32_t s : servers) {
      for (Vertex nic : in_.topo.servers()[s].nics) {
        const auto edge = static_cast<std::size_t>(next_ / per_edge_);
        attach_nic(in_.topo, s, nic, edges_[edge], latency);
        ++next_;
      }
    }
  }
  void start_new_edge() { next_ = ceil_div(next_, per_edge_) * per_edge_; }

 private:
  FabricInput& in_;
  const std::vector<Vertex>& edges_;
  std::int64_t per_edge_;
  std::int64_t next_ = 0;
};

void check_ports(const FabricInput& in, std::int64_t k, std::int64_t half) {
  const std::int64_t gpu_nics =
      static_cast<std::int64_t>(in.gpu_servers.size()) * nic_count(in, in.gpu_servers);
  const std::int64_t storage_nics =
      static_cast<std::int64_t>(in.storage_servers.size()) * nic_count(in, in.storage_servers);
  // Storage starts on a fresh edge switch.
  const std::int64_t needed =
      (storage_nics > 0 ? ceil_div(gpu_nics, half) * half : gpu_nics) + storage_nics;
  const std::int64_t ports = k * k * k / 4;
  if (needed > ports) {
    in.params.fail("k", fmt::format("a k={} fat-tree has {} host ports, but the servers need {} "
                                    "({} GPU-server NICs, {} storage NICs on fresh edge switches)",
                                    k, ports, needed, gpu_nics, storage_nics));
  }
}

}  // namespace

void build_fat_tree(FabricInput& in) {
  const sim::config::Params& p = in.params;
  const std::int64_t k = p.integer("k");
  if (k % 2 != 0)
    p.fail("k", fmt::format("must be even, got {}", k));
  const std::int64_t half = k / 2;
  check_ports(in, k, half);
  const sim::BytesPerSec rate = p.data_rate("link_rate");
  const sim::Time latency = p.time("link_latency");
  in.topo.set_tier_names({"edge", "aggregation", "core"});

  std::vector<Vertex> cores;
  for (std::int64_t c = 0; c < half * half; ++c)
    cores.push_back(add_switch(in.topo, fmt::format("core{}", c), 3));
  std::vector<Vertex> edges;
  for (std::int64_t pod = 0; pod < k; ++pod) {
    std::vector<Vertex> aggs;
    for (std::int64_t a = 0; a < half; ++a) {
      aggs.push_back(add_switch(in.topo, fmt::format("pod{}/agg{}", pod, a), 2));
      // Aggregation switch a reaches cores a*k/2 .. a*k/2 + k/2 - 1.
      for (std::int64_t c = 0; c < half; ++c)
        connect(in.topo, aggs.back(), cores[static_cast<std::size_t>(a * half + c)], rate, latency);
    }
    for (std::int64_t e = 0; e < half; ++e) {
      edges.push_back(add_switch(in.topo, fmt::format("pod{}/edge{}", pod, e), 1));
      for (Vertex agg : aggs)
        connect(in.topo, edges.back(), agg, rate, latency);
    }
  }
  PortFiller ports(in, edges, half);
  ports.place(in.gpu_servers, latency);
  ports.start_new_edge();
  ports.place(in.storage_servers, latency);
}

}  // namespace stormsim::topo::gen

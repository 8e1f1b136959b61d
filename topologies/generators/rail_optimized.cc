// rail_optimized: NVIDIA DGX SuperPOD style. Servers are grouped in scalable
// units (SUs); NIC i of every server in an SU goes to that SU's rail leaf i,
// so same-rail traffic stays under one leaf. Leaves join the spines of their
// pod; with several pods, spine j of every pod joins the cores of plane j
// (a three-tier Clos). Storage servers get their own leaves (and, with
// several pods, their own spines as one more pod).
#include <fmt/format.h>

#include "topologies/generators/common.h"
#include "topologies/generators/generators.h"

namespace stormsim::topo::gen {

using sim::config::ModelSpec;
using sim::config::ParamSpec;

ModelSpec rail_optimized_spec() {
  return ModelSpec{
      "rail_optimized",
      "rail-optimized scalable units (DGX SuperPOD style), spines per pod, optional core tier",
      {
          // NVIDIA DGX SuperPOD (H100) reference architecture: a scalable
          // unit is 32 DGX H100 systems, one rail leaf per compute NIC.
          ParamSpec::integer("servers_per_su")
              .def("32")
              .min(1)
              .help("GPU servers per scalable unit; each SU has one leaf per NIC (rail)"),
          ParamSpec::integer("sus_per_pod")
              .def("0")
              .min(0)
              .help("scalable units sharing one set of spines; 0: all (two tiers)"),
          ParamSpec::integer("spines").min(1).help("spine switches per pod"),
          oversubscription_param("oversubscription", "leaf downlink to uplink capacity ratio"),
          ParamSpec::integer("cores").def("0").min(0).help(
              "core switches when there are several pods; a multiple of spines"),
          oversubscription_param("core_oversubscription",
                                 "spine downlink to core uplink capacity ratio"),
          ParamSpec::integer("storage_servers_per_leaf")
              .def("16")
              .min(1)
              .help("storage servers under each storage leaf"),
          link_latency_param(),
      }};
}

namespace {

struct Plan {
  std::int64_t rails, sus, per_su, pods, sus_per_pod, spines, cores_per_plane;
  double ratio, core_ratio;
  sim::Time latency;
};

Plan make_plan(const FabricInput& in) {
  const sim::config::Params& p = in.params;
  Plan plan{};
  plan.rails = nic_count(in, in.gpu_servers);
  plan.per_su = p.integer("servers_per_su");
  plan.sus = ceil_div(static_cast<std::int64_t>(in.gpu_servers.size()), plan.per_su);
  plan.sus_per_pod = p.integer("sus_per_pod") == 0 ? plan.sus : p.integer("sus_per_pod");
  plan.pods = plan.sus_per_pod == 0 ? 1 : ceil_div(plan.sus, plan.sus_per_pod);
  plan.spines = p.integer("spines");
  plan.ratio = p.real("oversubscription");
  plan.core_ratio = p.real("core_oversubscription");
  plan.latency = p.time("link_latency");
  const std::int64_t cores = p.integer("cores");
  if (plan.pods > 1 && cores == 0) {
    p.fail("cores", fmt::format("{} pods of {} SUs need a core tier: set cores to a multiple of "
                                "spines ({})",
                                plan.pods, plan.sus_per_pod, plan.spines));
  }
  if (cores % plan.spines != 0)
    p.fail("cores", fmt::format("must be a multiple of spines ({}), got {}", plan.spines, cores));
  plan.cores_per_plane = cores / plan.spines;
  return plan;
}

std::vector<Vertex> add_spines(Topology& topo, const std::string& prefix, std::int64_t n) {
  std::vector<Vertex> spines;
  for (std::int64_t s = 0; s < n; ++s)
    spines.push_back(add_switch(topo, fmt::format("{}spine{}", prefix, s), 2));
  return spines;
}

// Spine j of a pod to every core of plane j.
void connect_to_cores(Topology& topo, const Plan& plan, const std::vector<Vertex>& spines,
                      const std::vector<Vertex>& cores, sim::BytesPerSec spine_down) {
  const sim::BytesPerSec rate = uplink_rate(spine_down, plan.core_ratio, plan.cores_per_plane);
  for (std::size_t j = 0; j < spines.size(); ++j) {
    for (std::int64_t c = 0; c < plan.cores_per_plane; ++c) {
      connect(topo, spines[j], cores[j * static_cast<std::size_t>(plan.cores_per_plane) + c], rate,
              plan.latency);
    }
  }
}

void build_gpu_pods(FabricInput& in, const Plan& plan, const std::vector<Vertex>& cores) {
  const sim::BytesPerSec leaf_up = uplink_rate(
      nic_rate(in, in.gpu_servers) * static_cast<double>(plan.per_su), plan.ratio, plan.spines);
  for (std::int64_t pod = 0; pod < plan.pods; ++pod) {
    const std::vector<Vertex> spines =
        add_spines(in.topo, plan.pods > 1 ? fmt::format("pod{}/", pod) : "", plan.spines);
    const std::int64_t last_su = std::min(plan.sus, (pod + 1) * plan.sus_per_pod);
    for (std::int64_t su = pod * plan.sus_per_pod; su < last_su; ++su) {
      for (std::int64_t rail = 0; rail < plan.rails; ++rail) {
        const Vertex leaf = add_switch(in.topo, fmt::format("su{}/rail{}", su, rail), 1);
        for (Vertex spine : spines)
          connect(in.topo, leaf, spine, leaf_up, plan.latency);
        const std::int64_t end = std::min<std::int64_t>(
            (su + 1) * plan.per_su, static_cast<std::int64_t>(in.gpu_servers.size()));
        for (std::int64_t k = su * plan.per_su; k < end; ++k) {
          const std::uint32_t s = in.gpu_servers[static_cast<std::size_t>(k)];
          attach_nic(in.topo, s, in.topo.servers()[s].nics[static_cast<std::size_t>(rail)], leaf,
                     plan.latency);
        }
      }
    }
    if (!cores.empty()) {
      const sim::BytesPerSec spine_down =
          leaf_up * static_cast<double>(plan.sus_per_pod * plan.rails);
      connect_to_cores(in.topo, plan, spines, cores, spine_down);
    }
  }
}

void build_storage(FabricInput& in, const Plan& plan, const std::vector<Vertex>& cores) {
  if (in.storage_servers.empty())
    return;
  const std::int64_t per_leaf = in.params.integer("storage_servers_per_leaf");
  const std::int64_t leaves =
      ceil_div(static_cast<std::int64_t>(in.storage_servers.size()), per_leaf);
  const sim::BytesPerSec down = nic_rate(in, in.storage_servers) *
                                static_cast<double>(per_leaf * nic_count(in, in.storage_servers));
  const sim::BytesPerSec up = uplink_rate(down, plan.ratio, plan.spines);
  // With a core tier the storage leaves form a pod of their own; without one
  // they join the GPU pod's spines ("spine0", ...).
  std::vector<Vertex> spines;
  if (cores.empty()) {
    for (std::int64_t s = 0; s < plan.spines; ++s)
      spines.push_back(in.topo.find(fmt::format("spine{}", s)));
  } else {
    spines = add_spines(in.topo, "storage/", plan.spines);
  }
  for (std::int64_t l = 0; l < leaves; ++l) {
    const Vertex leaf = add_switch(in.topo, fmt::format("storage-leaf{}", l), 1);
    for (Vertex spine : spines)
      connect(in.topo, leaf, spine, up, plan.latency);
    const std::int64_t end = std::min<std::int64_t>(
        (l + 1) * per_leaf, static_cast<std::int64_t>(in.storage_servers.size()));
    for (std::int64_t k = l * per_leaf; k < end; ++k)
      attach_server(in.topo, in.storage_servers[static_cast<std::size_t>(k)], leaf, plan.latency);
  }
  if (!cores.empty())
    connect_to_cores(in.topo, plan, spines, cores, up * static_cast<double>(leaves));
}

}  // namespace

void build_rail_optimized(FabricInput& in) {
  const Plan plan = make_plan(in);
  in.topo.set_tier_names({"leaf", "spine", "core"});
  std::vector<Vertex> cores;
  for (std::int64_t c = 0; c < plan.cores_per_plane * plan.spines; ++c)
    cores.push_back(add_switch(in.topo, fmt::format("core{}", c), 3));
  build_gpu_pods(in, plan, cores);
  build_storage(in, plan, cores);
}

}  // namespace stormsim::topo::gen

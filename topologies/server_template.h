// Node templates: what a GPU server and a storage server are made of, as
// declared parameters (the YAML maps `gpu_servers:` and `storage_servers:`),
// and how one server is added to a Topology.
#pragma once

#include <cstdint>
#include <string>

#include "sim/config/params.h"
#include "sim/quantity.h"
#include "sim/time.h"
#include "topologies/topology.h"

namespace stormsim::topo {

// One kind of server. Inside it, GPUs, NICs and drives hang off PCIe
// switches (or directly off the CPUs' root complexes when there are none),
// the switches off the CPUs, each CPU has its DRAM as a memory-bandwidth
// link, and the CPUs are joined by socket links.
struct ServerTemplate {
  ServerRole role = ServerRole::kGpu;
  std::string name;  // prefix: "gpu-server" gives "gpu-server-0", "gpu-server-1", ...
  std::int64_t count = 0;
  std::int64_t gpus = 0;
  std::int64_t pcie_switches = 0;
  std::int64_t nics = 0;
  std::int64_t drives = 0;
  std::int64_t cpus = 1;
  sim::BytesPerSec gpu_link;
  sim::BytesPerSec switch_uplink;
  sim::BytesPerSec nic_link;
  sim::BytesPerSec nic_rate;
  sim::BytesPerSec drive_link;
  sim::BytesPerSec memory_bandwidth;
  sim::BytesPerSec socket_link;
  sim::Time link_latency;
};

// The parameters of `gpu_servers:` (defaults: an NVIDIA DGX H100) or
// `storage_servers:` (defaults: a Fire-Flyer 2 storage node).
sim::config::ModelSpec server_spec(ServerRole role);

// The template from validated parameters; a link rate that is neither a
// PCIe link ("gen5x16") nor a data rate is a ConfigError at its key.
ServerTemplate read_server_template(const sim::config::Params& params, ServerRole role);

// Adds server number `index` built from `t` and puts its vertices in their
// groups; returns the server's index in topo.servers().
std::uint32_t add_server(Topology& topo, const ServerTemplate& t, std::int64_t index);

}  // namespace stormsim::topo

// Small topologies for the topology tests, built from YAML text.
#pragma once

#include <fmt/format.h>

#include <string>

#include "sim/config/node.h"
#include "topologies/loader.h"

namespace stormsim::topo::test {

inline Topology from_yaml(const std::string& yaml, const std::string& name = "<test>") {
  return build_topology(sim::config::load_string(yaml, name));
}

// Servers with one GPU and one NIC on one CPU: every server is one host.
inline std::string one_nic_servers(int count) {
  return fmt::format(
      "gpu_servers: {{count: {}, gpus: 1, pcie_switches: 0, nics: 1, drives: 0, cpus: 1}}\n",
      count);
}

// A k-ary fat-tree with k^3/4 one-NIC servers.
inline Topology fat_tree(int k, const std::string& routing = "") {
  return from_yaml(one_nic_servers(k * k * k / 4) +
                   fmt::format("fabric: {{generator: fat_tree, k: {}}}\n", k) + routing);
}

inline std::string source_dir() {
  return STORMSIM_SOURCE_DIR;
}

}  // namespace stormsim::topo::test

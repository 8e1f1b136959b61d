// Counts, oversubscription per tier, bisection and group max-flow against
// hand-computed values.
#include <catch2/catch.hpp>

#include "tests/topologies/helpers.h"
#include "topologies/analysis.h"
#include "topologies/pcie.h"

using stormsim::sim::BytesPerSec;
using stormsim::topo::Topology;
using stormsim::topo::test::from_yaml;
namespace topo = stormsim::topo;

namespace {

// Capacities are rounded to whole bytes per second in the max-flow network.
bool near(BytesPerSec a, double b) {
  return std::abs(a.value() - b) <= 1e-9 * b;
}

Topology dev() {
  return topo::load_topology(stormsim::topo::test::source_dir() + "/topologies/dev.yaml");
}

}  // namespace

TEST_CASE("PCIe rates follow the PCI-SIG transfer rates and encodings", "[topologies]") {
  CHECK(topo::pcie_rate(5, 16).value() == Approx(32e9 * 16 * 128 / 130 / 8));  // 63.0 GB/s
  CHECK(topo::pcie_rate(4, 4).value() == Approx(7.877e9).epsilon(1e-3));
  CHECK(topo::pcie_rate(3, 16).value() == Approx(15.75e9).epsilon(1e-3));
  CHECK(topo::pcie_rate(1, 1).value() == Approx(250e6));
  CHECK(topo::parse_link_rate("gen5x16")->value() == topo::pcie_rate(5, 16).value());
  CHECK(topo::parse_link_rate("PCIe4x8")->value() == topo::pcie_rate(4, 8).value());
  CHECK(topo::parse_link_rate("400Gbps")->value() == Approx(50e9));
  CHECK_FALSE(topo::parse_link_rate("gen7x16"));
  CHECK_FALSE(topo::parse_link_rate("gen5x3"));
  CHECK_FALSE(topo::parse_link_rate("fast"));
}

TEST_CASE("the dev cluster's counts and capacities", "[topologies][analysis]") {
  const Topology t = dev();
  // Per GPU server: 2 CPUs, 2 memories, 4 PCIe switches, 8 GPUs, 8 NICs,
  // 8 drives = 32; per storage server: CPU, memory, 2 NICs, 16 drives = 20;
  // switches: 2 GPU leaves, 1 storage leaf, 2 spines.
  CHECK(t.vertex_count() == 4 * 32 + 2 * 20 + 5);
  const topo::KindCounts c = topo::count_kinds(t);
  CHECK(c.vertices[static_cast<int>(topo::VertexKind::kGpu)] == 32);
  CHECK(c.vertices[static_cast<int>(topo::VertexKind::kSwitch)] == 5);
  // 31 links inside a GPU server, 19 inside a storage server, 36 NIC ports,
  // 3 leaves x 2 spines.
  CHECK(t.link_count() == 4 * 31 + 2 * 19 + 36 + 6);
  CHECK(t.directed_link_count() == 2 * t.link_count());
  CHECK(c.links[static_cast<int>(topo::LinkKind::kAccess)] == 36);
  CHECK(c.links[static_cast<int>(topo::LinkKind::kFabric)] == 6);

  const std::vector<topo::TierCapacity> tiers = topo::tier_capacities(t);
  REQUIRE(tiers.size() == 2);
  // Leaves: 2 x (2 servers x 8 x 50 GB/s) + 2 storage x 2 x 25 GB/s down,
  // and as much up (oversubscription 1).
  CHECK(tiers[0].name == "leaf");
  CHECK(tiers[0].switches == 3);
  CHECK(tiers[0].down.value() == Approx(1.7e12));
  CHECK(tiers[0].up.value() == Approx(1.7e12));
  CHECK(tiers[0].oversubscription() == Approx(1.0));
  CHECK(tiers[1].name == "spine");
  CHECK(tiers[1].up.value() == 0);
}

TEST_CASE("max flow between groups matches the hand-computed limits", "[topologies][analysis]") {
  const Topology t = dev();
  // Storage NICs: 2 servers x 2 x 200 Gb/s.
  CHECK(near(topo::group_bandwidth(t, "gpu_servers", "storage_servers"), 100e9));
  CHECK(near(topo::group_bandwidth(t, "gpus", "storage_drives"), 100e9));
  // Into the GPU servers' own drives: 32 drives x PCIe Gen4 x4, whether the
  // data comes over PCIe or through the fabric from another server.
  CHECK(near(topo::group_bandwidth(t, "gpus", "gpu_drives"), 32 * topo::pcie_rate(4, 4).value()));
  // Bisection: the two servers under leaf 0 to the two under leaf 1,
  // limited by leaf 0's uplinks (2 x 400 GB/s) and the NICs (16 x 50 GB/s).
  CHECK(near(topo::bisection_bandwidth(t), 800e9));
  CHECK_THROWS_AS(topo::group_bandwidth(t, "gpus", "gpu_servers"), topo::TopologyError);
}

TEST_CASE("max flow honours per-direction capacities", "[topologies][analysis]") {
  // Server 0 under leaf a, server 1 and the storage server under leaf b;
  // a->b carries 10 GB/s, b->a 5 GB/s.
  const Topology t = from_yaml(R"(
gpu_servers: {count: 2, gpus: 1, nics: 2, pcie_switches: 0, drives: 0, cpus: 1, nic_rate: 100Gbps}
storage_servers: {count: 1, nics: 1, drives: 1, nic_rate: 400Gbps}
fabric: {generator: custom}
switches: [{name: a}, {name: b}]
links:
  - {from: gpu-server-0/nic0, to: a, rate: 100Gbps}
  - {from: gpu-server-0/nic1, to: a, rate: 100Gbps}
  - {from: gpu-server-1/nic0, to: b, rate: 100Gbps}
  - {from: gpu-server-1/nic1, to: b, rate: 100Gbps}
  - {from: storage-0/nic0, to: b, rate: 400Gbps}
  - {from: a, to: b, rate: 10GB/s, rate_back: 5GB/s}
)");
  // Writes: 10 GB/s from server 0 over a->b plus 25 GB/s from server 1.
  CHECK(near(topo::group_bandwidth(t, "gpu_servers", "storage_servers"), 35e9));
  // Reads: 25 GB/s to server 1 plus 5 GB/s over b->a to server 0.
  CHECK(near(topo::group_bandwidth(t, "storage_servers", "gpu_servers"), 30e9));
  // The drive's PCIe Gen4 x4 link is the limit for drive writes.
  CHECK(near(topo::group_bandwidth(t, "gpus", "storage_drives"), topo::pcie_rate(4, 4).value()));
}

TEST_CASE("fat-tree and leaf-spine bisection and oversubscription", "[topologies][analysis]") {
  // k=4: 16 hosts at 400 Gb/s, non-blocking: half of them at line rate.
  const Topology ft = stormsim::topo::test::fat_tree(4);
  CHECK(near(topo::bisection_bandwidth(ft), 8 * 50e9));
  const std::vector<topo::TierCapacity> tiers = topo::tier_capacities(ft);
  REQUIRE(tiers.size() == 3);
  CHECK(tiers[0].name == "edge");
  CHECK(tiers[0].switches == 8);
  CHECK(tiers[1].switches == 8);
  CHECK(tiers[2].switches == 4);
  CHECK(tiers[0].oversubscription() == Approx(1.0));
  CHECK(tiers[1].oversubscription() == Approx(1.0));

  // Oversubscribed 4:1 leaves: 4 one-NIC servers per leaf, 400 Gb/s each.
  const Topology ls = from_yaml(stormsim::topo::test::one_nic_servers(8) + R"(
fabric: {generator: leaf_spine, servers_per_leaf: 4, spines: 2, oversubscription: 4}
)");
  CHECK(topo::tier_capacities(ls)[0].oversubscription() == Approx(4.0));
  CHECK(near(topo::bisection_bandwidth(ls), 50e9));  // leaf 0's uplinks: 4 x 50 / 4
}

// Inventory: the parts of a cluster that cost money, counted from its
// topology and split between storage and compute.
//
// The split answers "what would we not buy without the storage system":
//  - storage: storage servers, their data drives and fabric NICs, the switch
//    ports and links their NICs plug into, and every switch-to-switch link
//    (both of its ports and its cables) that touches a storage-only switch;
//  - compute: GPU servers (their GPUs, NICs and local drives are part of the
//    server's price) and every other switch port and link.
// A switch is storage-only when everything below it (servers through access
// links, lower-tier switches through fabric links) is storage servers or
// storage-only switches: the storage leaves, and a storage pod's spines. A
// shared spine's ports toward GPU leaves stay compute: they are sized for the
// GPU-to-GPU fabric, which storage traffic only borrows.
//
// Ports and links are counted per speed class (price_book.h). An access link
// (NIC to switch) is one link and one switch port at the NIC's class. A
// fabric link of capacity C (the generators merge parallel links) is
// n = ceil(C / fabric_port_rate) links with a port at each end, 2n ports, at
// the class of fabric_port_rate; a link slower than that is one link at its
// own class.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include "models/cost/price_book.h"
#include "sim/quantity.h"
#include "topologies/topology.h"

namespace stormsim::models {
class Cluster;
}

namespace stormsim::models::cost {

using SpeedCounts = std::array<std::int64_t, kSpeedClasses>;
std::int64_t total(const SpeedCounts& c);

struct Inventory {
  // Compute.
  std::int64_t gpu_servers = 0;
  std::int64_t gpus = 0;
  std::int64_t gpu_nics = 0;           // in the GPU servers' price
  std::int64_t gpu_server_drives = 0;  // local NVMe, in the GPU servers' price
  SpeedCounts compute_switch_ports{};
  SpeedCounts compute_links{};

  // Storage.
  std::int64_t storage_servers = 0;
  std::int64_t storage_drives = 0;
  double storage_raw_bytes = 0;  // sum of the data drives' capacities
  SpeedCounts storage_nics{};
  SpeedCounts storage_switch_ports{};
  SpeedCounts storage_links{};

  std::int64_t switches = 0;
  std::int64_t storage_switches = 0;  // storage-only switches

  std::int64_t switch_ports() const {
    return total(compute_switch_ports) + total(storage_switch_ports);
  }
  std::int64_t links() const { return total(compute_links) + total(storage_links); }
  nlohmann::json to_json() const;
};

// The capacity of the drive at a vertex.
using DriveCapacity = std::function<sim::Bytes(topo::Vertex)>;

// Counts `t` as the header says; each storage drive holds `drive_capacity`.
Inventory count_inventory(const topo::Topology& t, const DriveCapacity& drive_capacity,
                          sim::BytesPerSec fabric_port_rate);
Inventory count_inventory(const topo::Topology& t, sim::Bytes drive_capacity,
                          sim::BytesPerSec fabric_port_rate);
// Counts a scenario's cluster, each drive at the capacity of the `nvme` model
// bound to it.
Inventory count_inventory(const Cluster& cluster, sim::BytesPerSec fabric_port_rate);

// The `nvme` model's default capacity (its spec's `capacity` default).
sim::Bytes default_drive_capacity();

}  // namespace stormsim::models::cost

#include "models/cost/inventory.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "models/cluster.h"
#include "models/devices/nvme.h"
#include "sim/units.h"

namespace stormsim::models::cost {

using topo::LinkKind;
using topo::ServerRole;
using topo::Topology;
using topo::Vertex;
using topo::VertexKind;

namespace {

struct PortUnits {
  std::size_t speed_class;
  std::int64_t count;
};

// The links (each with a port at its switch ends) a fabric link of capacity
// `rate` stands for.
PortUnits fabric_units(sim::BytesPerSec rate, sim::BytesPerSec port_rate) {
  if (rate.value() <= port_rate.value() * (1 + 1e-9))
    return {speed_class(rate), 1};
  const double n = std::ceil(rate.value() / port_rate.value() * (1 - 1e-9));
  return {speed_class(port_rate), static_cast<std::int64_t>(n)};
}

// An access link at `rate` is one port at its class, or several of the
// fastest class for a rate beyond every class.
PortUnits access_units(sim::BytesPerSec rate) {
  const std::size_t c = speed_class(rate);
  const double class_bps = kSpeedClassGbps[c] * 1e9;
  const double n = std::max(1.0, std::ceil(rate.bits_per_sec() / class_bps * (1 - 1e-9)));
  return {c, static_cast<std::int64_t>(n)};
}

bool is_server_side(const Topology& t, Vertex v) {
  return t.kind(v) != VertexKind::kSwitch;
}

// Storage-only switches, by vertex (see the header): switches in ascending
// tier order, each judged by what is below it.
std::vector<bool> storage_only_switches(const Topology& t) {
  const std::size_t n = t.vertex_count();
  std::vector<std::vector<Vertex>> below(n);
  std::vector<bool> has_gpu_server(n, false), has_below(n, false);
  for (std::size_t i = 0; i < t.link_count(); ++i) {
    const topo::LinkId l = static_cast<topo::LinkId>(2 * i);
    const Vertex a = t.link_source(l), b = t.link_target(l);
    if (t.link_kind(l) == LinkKind::kAccess) {
      const Vertex sw = is_server_side(t, a) ? b : a;
      const Vertex nic = is_server_side(t, a) ? a : b;
      has_below[sw] = true;
      if (t.servers().at(t.server_of(nic)).role == ServerRole::kGpu)
        has_gpu_server[sw] = true;
    } else if (t.link_kind(l) == LinkKind::kFabric && t.tier(a) != t.tier(b)) {
      const Vertex upper = t.tier(a) > t.tier(b) ? a : b;
      below[upper].push_back(upper == a ? b : a);
      has_below[upper] = true;
    }
  }
  std::vector<Vertex> switches;
  for (Vertex v = 0; v < n; ++v) {
    if (t.kind(v) == VertexKind::kSwitch)
      switches.push_back(v);
  }
  std::stable_sort(switches.begin(), switches.end(),
                   [&](Vertex x, Vertex y) { return t.tier(x) < t.tier(y); });
  std::vector<bool> storage(n, false);
  for (Vertex s : switches) {
    storage[s] = has_below[s] && !has_gpu_server[s] &&
                 std::all_of(below[s].begin(), below[s].end(),
                             [&](Vertex d) { return static_cast<bool>(storage[d]); });
  }
  return storage;
}

void count_servers(const Topology& t, const DriveCapacity& drive_capacity, Inventory& inv) {
  for (std::uint32_t s = 0; s < t.servers().size(); ++s) {
    const topo::Server& server = t.servers()[s];
    std::int64_t gpus = 0, drives = 0;
    double bytes = 0;
    for (Vertex v = server.first; v < server.last; ++v) {
      if (t.kind(v) == VertexKind::kGpu) {
        ++gpus;
      } else if (t.kind(v) == VertexKind::kDrive) {
        ++drives;
        if (server.role == ServerRole::kStorage)
          bytes += drive_capacity(v).value();
      }
    }
    const auto nics = static_cast<std::int64_t>(server.nics.size());
    if (server.role == ServerRole::kGpu) {
      ++inv.gpu_servers;
      inv.gpus += gpus;
      inv.gpu_nics += nics;
      inv.gpu_server_drives += drives;
    } else {
      ++inv.storage_servers;
      inv.storage_drives += drives;
      inv.storage_raw_bytes += bytes;
      const PortUnits u = access_units(server.nic_rate);
      inv.storage_nics[u.speed_class] += u.count * nics;
    }
  }
}

void count_links(const Topology& t, const std::vector<bool>& storage_switch,
                 sim::BytesPerSec fabric_port_rate, Inventory& inv) {
  for (std::size_t i = 0; i < t.link_count(); ++i) {
    const topo::LinkId l = static_cast<topo::LinkId>(2 * i);
    const Vertex a = t.link_source(l), b = t.link_target(l);
    const sim::BytesPerSec rate(
        std::max(t.capacity(l).value(), t.capacity(Topology::reverse(l)).value()));
    if (t.link_kind(l) == LinkKind::kAccess) {
      const Vertex nic = is_server_side(t, a) ? a : b;
      const bool storage = t.servers().at(t.server_of(nic)).role == ServerRole::kStorage;
      const PortUnits u = access_units(rate);
      (storage ? inv.storage_switch_ports : inv.compute_switch_ports)[u.speed_class] += u.count;
      (storage ? inv.storage_links : inv.compute_links)[u.speed_class] += u.count;
    } else if (t.link_kind(l) == LinkKind::kFabric) {
      const bool storage = storage_switch[a] || storage_switch[b];
      const PortUnits u = fabric_units(rate, fabric_port_rate);
      (storage ? inv.storage_switch_ports : inv.compute_switch_ports)[u.speed_class] += 2 * u.count;
      (storage ? inv.storage_links : inv.compute_links)[u.speed_class] += u.count;
    }
  }
}

nlohmann::json classes_json(const SpeedCounts& c) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t k = 0; k < kSpeedClasses; ++k) {
    if (c[k] != 0)
      out[std::string(speed_class_name(k))] = c[k];
  }
  return out;
}

}  // namespace

std::int64_t total(const SpeedCounts& c) {
  return std::accumulate(c.begin(), c.end(), std::int64_t{0});
}

nlohmann::json Inventory::to_json() const {
  return {
      {"compute",
       {{"gpu_servers", gpu_servers},
        {"gpus", gpus},
        {"gpu_nics", gpu_nics},
        {"gpu_server_drives", gpu_server_drives},
        {"switch_ports", classes_json(compute_switch_ports)},
        {"links", classes_json(compute_links)}}},
      {"storage",
       {{"servers", storage_servers},
        {"drives", storage_drives},
        {"raw_bytes", storage_raw_bytes},
        {"nics", classes_json(storage_nics)},
        {"switch_ports", classes_json(storage_switch_ports)},
        {"links", classes_json(storage_links)}}},
      {"switches", switches},
      {"storage_switches", storage_switches},
  };
}

Inventory count_inventory(const Topology& t, const DriveCapacity& drive_capacity,
                          sim::BytesPerSec fabric_port_rate) {
  if (fabric_port_rate.value() <= 0)
    throw std::invalid_argument("count_inventory: fabric_port_rate must be positive");
  Inventory inv;
  count_servers(t, drive_capacity, inv);
  const std::vector<bool> storage_switch = storage_only_switches(t);
  for (Vertex v = 0; v < t.vertex_count(); ++v) {
    if (t.kind(v) == VertexKind::kSwitch) {
      ++inv.switches;
      if (storage_switch[v])
        ++inv.storage_switches;
    }
  }
  count_links(t, storage_switch, fabric_port_rate, inv);
  return inv;
}

Inventory count_inventory(const Topology& t, sim::Bytes drive_capacity,
                          sim::BytesPerSec fabric_port_rate) {
  return count_inventory(
      t, [drive_capacity](Vertex) { return drive_capacity; }, fabric_port_rate);
}

Inventory count_inventory(const Cluster& cluster, sim::BytesPerSec fabric_port_rate) {
  return count_inventory(
      cluster.topology(), [&cluster](Vertex v) { return cluster.nvme(v).first->capacity(); },
      fabric_port_rate);
}

sim::Bytes default_drive_capacity() {
  const sim::config::ModelSpec spec = Nvme::spec();
  const sim::config::ParamSpec* p = spec.find("capacity");
  if (p == nullptr || !p->default_text)
    throw std::logic_error("the nvme model declares no default capacity");
  return sim::units::parse_size(*p->default_text);
}

}  // namespace stormsim::models::cost

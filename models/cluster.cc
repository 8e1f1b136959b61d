#include "models/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "models/devices/gpu.h"
#include "models/devices/host.h"
#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/devices/pcie.h"
#include "sim/when.h"
#include "topologies/hash.h"

namespace stormsim::models {

using topo::Vertex;
using topo::VertexKind;

std::string_view name(Transport t) {
  return t == Transport::kRdma ? "rdma" : "tcp";
}

namespace {

std::string_view vertex_kind_label(VertexKind k) {
  switch (k) {
    case VertexKind::kGpu:
      return "GPU";
    case VertexKind::kNic:
      return "NIC";
    case VertexKind::kDrive:
      return "drive";
    case VertexKind::kCpu:
      return "CPU";
    case VertexKind::kMemory:
      return "memory";
    case VertexKind::kPcieSwitch:
      return "PCIe switch";
    case VertexKind::kSwitch:
      return "switch";
  }
  return "?";
}

// Connection `c` of a transfer gets its own label, so connections hash onto
// paths independently, as separate TCP connections or queue pairs do.
std::uint64_t connection_label(std::uint64_t label, int c) {
  return c == 0 ? label : (label ^ (0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(c))) | 1u;
}

sim::Task<void> move_part(topo::Network& net, Vertex src, Vertex dst, sim::Bytes bytes,
                          std::vector<sim::flow::ConstraintId> extra,
                          topo::NetworkTransferOptions o) {
  o.extra = extra;
  co_await net.transfer(src, dst, bytes, o);
}

}  // namespace

Cluster::Cluster(sim::Engine& engine, topo::Topology topology)
    : engine_(engine),
      topology_(std::move(topology)),
      flows_(engine),
      network_(std::make_unique<topo::Network>(flows_, topology_)),
      vertex_devices_(topology_.vertex_count()),
      server_hosts_(topology_.servers().size()),
      server_pcie_(topology_.servers().size(), nullptr) {}

Cluster::~Cluster() = default;

std::vector<Vertex> Cluster::select(const std::vector<std::string>& names, VertexKind kind,
                                    const sim::config::Params& params, std::string_view key) const {
  std::vector<Vertex> out;
  const auto& servers = topology_.servers();
  for (const std::string& n : names) {
    std::vector<Vertex> found;
    if (topology_.has_group(n)) {
      for (Vertex v : topology_.group(n)) {
        if (topology_.kind(v) == kind)
          found.push_back(v);
      }
    } else if (auto it = std::find_if(servers.begin(), servers.end(),
                                      [&](const topo::Server& s) { return s.name == n; });
               it != servers.end()) {
      for (Vertex v = it->first; v < it->last; ++v) {
        if (topology_.kind(v) == kind)
          found.push_back(v);
      }
    } else if (auto v = topology_.try_find(n)) {
      if (topology_.kind(*v) != kind) {
        params.fail(key,
                    fmt::format("`{}` is a {}, not a {}", n, vertex_kind_label(topology_.kind(*v)),
                                vertex_kind_label(kind)));
      }
      found.push_back(*v);
    } else {
      std::vector<std::string> groups = topology_.group_names();
      const std::string close = sim::config::closest_name(n, groups);
      params.fail(
          key, fmt::format("`{}` is not a group, server or vertex of topology `{}`{}", n,
                           topology_.name(),
                           close.empty() ? fmt::format("; groups are: {}", fmt::join(groups, ", "))
                                         : fmt::format("; did you mean `{}`?", close)));
    }
    if (found.empty())
      params.fail(key, fmt::format("`{}` holds no {}", n, vertex_kind_label(kind)));
    out.insert(out.end(), found.begin(), found.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::uint32_t> Cluster::select_servers(const std::vector<std::string>& names,
                                                   const sim::config::Params& params,
                                                   std::string_view key) const {
  std::vector<std::uint32_t> out;
  const auto& servers = topology_.servers();
  for (const std::string& n : names) {
    std::vector<std::uint32_t> found;
    auto it = std::find_if(servers.begin(), servers.end(),
                           [&](const topo::Server& s) { return s.name == n; });
    if (it != servers.end()) {
      found.push_back(static_cast<std::uint32_t>(it - servers.begin()));
    } else if (topology_.has_group(n)) {
      for (Vertex v : topology_.group(n)) {
        if (topology_.server_of(v) != topo::kNoServer)
          found.push_back(topology_.server_of(v));
      }
    } else if (auto v = topology_.try_find(n); v && topology_.server_of(*v) != topo::kNoServer) {
      found.push_back(topology_.server_of(*v));
    } else {
      std::vector<std::string> groups = topology_.group_names();
      const std::string close = sim::config::closest_name(n, groups);
      params.fail(key, fmt::format("`{}` is not a server, server group or server part of "
                                   "topology `{}`{}",
                                   n, topology_.name(),
                                   close.empty() ? std::string()
                                                 : fmt::format("; did you mean `{}`?", close)));
    }
    if (found.empty())
      params.fail(key, fmt::format("`{}` holds no server", n));
    out.insert(out.end(), found.begin(), found.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Cluster::bind_vertex(Vertex v, Device& d, std::uint32_t index,
                          const sim::config::Params& params, std::string_view key) {
  DeviceRef& ref = vertex_devices_.at(v);
  if (ref.device != nullptr && ref.device != &d) {
    params.fail(key, fmt::format("`{}` already has a model: component `{}`",
                                 topology_.vertex_name(v), ref.device->name()));
  }
  ref = {&d, index};
}

void Cluster::bind_server(std::uint32_t server, Device& d, std::uint32_t index,
                          const sim::config::Params& params, std::string_view key) {
  if (auto* p = dynamic_cast<Pcie*>(&d)) {
    if (server_pcie_.at(server) != nullptr && server_pcie_[server] != p) {
      params.fail(key, fmt::format("server `{}` already has a PCIe model: component `{}`",
                                   topology_.servers()[server].name, server_pcie_[server]->name()));
    }
    server_pcie_[server] = p;
    return;
  }
  DeviceRef& ref = server_hosts_.at(server);
  if (ref.device != nullptr && ref.device != &d) {
    params.fail(key, fmt::format("server `{}` already has a host model: component `{}`",
                                 topology_.servers()[server].name, ref.device->name()));
  }
  ref = {&d, index};
}

std::vector<Vertex> Cluster::unbound(VertexKind kind) const {
  std::vector<Vertex> out;
  for (Vertex v = 0; v < topology_.vertex_count(); ++v) {
    if (topology_.kind(v) == kind && vertex_devices_[v].device == nullptr)
      out.push_back(v);
  }
  return out;
}

std::vector<std::uint32_t> Cluster::unbound_servers(bool host) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t s = 0; s < topology_.servers().size(); ++s) {
    if (host ? server_hosts_[s].device == nullptr : server_pcie_[s] == nullptr)
      out.push_back(s);
  }
  return out;
}

namespace {

template <typename T>
std::pair<T*, std::uint32_t> device_as(const Cluster::DeviceRef& ref, const std::string& where,
                                       const char* what) {
  auto* d = dynamic_cast<T*>(ref.device);
  if (d == nullptr)
    throw std::logic_error(fmt::format("`{}` has no {} model", where, what));
  return {d, ref.index};
}

}  // namespace

std::pair<Nvme*, std::uint32_t> Cluster::nvme(Vertex drive) const {
  return device_as<Nvme>(vertex_devices_.at(drive), topology_.vertex_name(drive), "nvme");
}
std::pair<Nic*, std::uint32_t> Cluster::nic(Vertex nic) const {
  return device_as<Nic>(vertex_devices_.at(nic), topology_.vertex_name(nic), "nic");
}
std::pair<Gpu*, std::uint32_t> Cluster::gpu(Vertex gpu) const {
  return device_as<Gpu>(vertex_devices_.at(gpu), topology_.vertex_name(gpu), "gpu");
}
std::pair<Host*, std::uint32_t> Cluster::host(std::uint32_t server) const {
  return device_as<Host>(server_hosts_.at(server), topology_.servers().at(server).name, "host");
}
Pcie* Cluster::pcie(std::uint32_t server) const {
  return server_pcie_.at(server);
}

std::vector<Vertex> Cluster::server_vertices(std::uint32_t server, VertexKind kind) const {
  const topo::Server& s = topology_.servers().at(server);
  std::vector<Vertex> out;
  for (Vertex v = s.first; v < s.last; ++v) {
    if (topology_.kind(v) == kind)
      out.push_back(v);
  }
  return out;
}

Vertex Cluster::memory_of(std::uint32_t server) const {
  const topo::Server& s = topology_.servers().at(server);
  for (Vertex v = s.first; v < s.last; ++v) {
    if (topology_.kind(v) == VertexKind::kMemory)
      return v;
  }
  throw std::logic_error(fmt::format("server `{}` has no memory vertex", s.name));
}

std::optional<Vertex> Cluster::sending_nic(Vertex src, Vertex dst, std::uint64_t flow_label) const {
  const std::uint32_t server = topology_.server_of(src);
  if (server == topo::kNoServer || server == topology_.server_of(dst))
    return std::nullopt;
  const topo::Route& r = topology_.route(src, dst, flow_label);
  for (topo::LinkId l : r.links) {
    const Vertex from = topology_.link_source(l);
    if (topology_.kind(from) == VertexKind::kNic && topology_.server_of(from) == server)
      return from;
  }
  return std::nullopt;
}

const Cluster::PathSummary& Cluster::path_summary(Vertex src, Vertex dst) {
  const std::uint64_t key = (static_cast<std::uint64_t>(src) << 32) | dst;
  auto it = path_summaries_.find(key);
  if (it == path_summaries_.end()) {
    const sim::Time latency = topology_.route(src, dst, 1).latency;
    it = path_summaries_.emplace(key, PathSummary{latency, sending_nic(src, dst, 1)}).first;
  }
  return it->second;
}

std::uint64_t Cluster::channel_label(Vertex src, Vertex dst) {
  // mix64(mix64(src) ^ mix64(dst)): symmetric. Sequential labels stay below
  // 2^63.
  return topo::hash_combine(topo::mix64(src), dst) | (std::uint64_t{1} << 63);
}

sim::Task<void> Cluster::move(Vertex src, Vertex dst, sim::Bytes bytes, MoveOptions options) {
  const std::uint64_t label = options.flow_label != 0 ? options.flow_label : next_label();
  topo::NetworkTransferOptions o{.flow_label = label,
                                 .chunk = options.chunk,
                                 .weight = options.weight,
                                 .max_rate = options.max_rate,
                                 .extra = {},
                                 .extra_latency = options.extra_latency};
  std::vector<sim::flow::ConstraintId> extra(options.extra.begin(), options.extra.end());
  int connections = 1;
  const std::uint32_t from = topology_.server_of(src), to = topology_.server_of(dst);
  if (from != topo::kNoServer && to != topo::kNoServer && from != to) {
    const std::optional<Vertex> nic_vertex = sending_nic(src, dst, label);
    const Nic* nic_model = nic_vertex ? nic(*nic_vertex).first : nullptr;
    const Transport t =
        options.transport.value_or(nic_model ? nic_model->transport() : Transport::kRdma);
    if (nic_model != nullptr)
      connections = nic_model->connections();
    if (t == Transport::kTcp) {
      auto [hs, is] = host(from);
      auto [hd, id] = host(to);
      extra.push_back(hs->cpu(is, CpuWork::kTcp));
      extra.push_back(hd->cpu(id, CpuWork::kTcp));
      // Each connection is processed by one core at each end.
      const double per_core = std::min(hs->rate_per_core(CpuWork::kTcp).value(),
                                       hd->rate_per_core(CpuWork::kTcp).value());
      o.max_rate = sim::BytesPerSec(std::min(o.max_rate.value() / connections, per_core));
    } else {
      if (nic_model != nullptr)
        o.extra_latency += nic_model->message_overhead();
      o.max_rate = o.max_rate / connections;
    }
  }
  if (connections <= 1 || bytes.value() <= 0) {
    o.extra = extra;
    co_await network_->transfer(src, dst, bytes, o);
    co_return;
  }
  // Striped over connections (TCP connections, RDMA queue pairs), each with
  // the weight of a flow of its own, as separate connections compete.
  std::vector<sim::Task<void>> parts;
  parts.reserve(static_cast<std::size_t>(connections));
  for (int c = 0; c < connections; ++c) {
    topo::NetworkTransferOptions part = o;
    part.flow_label = connection_label(label, c);
    parts.push_back(move_part(*network_, src, dst, bytes / connections, extra, part));
  }
  co_await sim::when_all(std::move(parts));
}

nlohmann::json Cluster::bottlenecks(sim::Time end, std::size_t limit) const {
  struct Row {
    sim::flow::ConstraintId c;
    double bytes;
    sim::Time time;
  };
  std::vector<Row> rows;
  for (sim::flow::ConstraintId c = 0; c < flows_.constraint_count(); ++c) {
    const auto u = flows_.usage(c);
    if (u.bottleneck_time > sim::Time{})
      rows.push_back({c, u.bytes.value(), u.bottleneck_time});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.time != b.time ? a.time > b.time : a.c < b.c;
  });
  nlohmann::json out = nlohmann::json::array();
  const double window = end.seconds();
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
    const Row& r = rows[i];
    const double cap = flows_.capacity(r.c).value();
    out.push_back({{"constraint", flows_.name(r.c)},
                   {"bottleneck_s", r.time.seconds()},
                   {"bytes", r.bytes},
                   {"capacity_bytes_per_s", cap},
                   {"utilization", window > 0 && cap > 0 ? r.bytes / (cap * window) : 0.0}});
  }
  return out;
}

std::vector<std::string> Cluster::bottleneck_summary(sim::Time end, std::size_t limit) const {
  std::vector<std::string> lines;
  for (const auto& row : bottlenecks(end, limit)) {
    lines.push_back(
        fmt::format("{}: bottleneck for {:.3f} s; carried {}, {:.1f}% of its capacity over the run",
                    row["constraint"].get<std::string>(), row["bottleneck_s"].get<double>(),
                    sim::to_string(sim::Bytes(row["bytes"].get<double>())),
                    100 * row["utilization"].get<double>()));
  }
  return lines;
}

}  // namespace stormsim::models

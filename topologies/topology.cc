#include "topologies/topology.h"

#include <fmt/format.h>

#include <cassert>

#include "sim/config/params.h"

namespace stormsim::topo {

std::string_view kind_name(VertexKind kind) {
  switch (kind) {
    case VertexKind::kGpu:
      return "gpu";
    case VertexKind::kNic:
      return "nic";
    case VertexKind::kDrive:
      return "drive";
    case VertexKind::kCpu:
      return "cpu";
    case VertexKind::kMemory:
      return "memory";
    case VertexKind::kPcieSwitch:
      return "pcie_switch";
    case VertexKind::kSwitch:
      return "switch";
  }
  return "?";
}

std::string_view kind_name(LinkKind kind) {
  switch (kind) {
    case LinkKind::kPcie:
      return "pcie";
    case LinkKind::kMemory:
      return "memory";
    case LinkKind::kSocket:
      return "socket";
    case LinkKind::kAccess:
      return "access";
    case LinkKind::kFabric:
      return "fabric";
  }
  return "?";
}

namespace {

// "did you mean `x`?" for an unknown name, or "" when nothing is close.
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string near = sim::config::closest_name(name, candidates);
  return near.empty() ? "" : fmt::format("; did you mean `{}`?", near);
}

}  // namespace

Topology::Topology(std::string name) : name_(std::move(name)), graph_(std::make_unique<Graph>()) {}
Topology::Topology(Topology&& other) noexcept : graph_(std::make_unique<Graph>()) {
  *this = std::move(other);
}
Topology& Topology::operator=(Topology&& other) noexcept {
  name_ = std::move(other.name_);
  // Swapped: the moved-from topology keeps a graph (ours) and stays usable.
  graph_.swap(other.graph_);
  servers_ = std::move(other.servers_);
  open_server_ = other.open_server_;
  by_name_ = std::move(other.by_name_);
  groups_ = std::move(other.groups_);
  tier_names_ = std::move(other.tier_names_);
  link_src_ = std::move(other.link_src_);
  link_capacity_ = std::move(other.link_capacity_);
  link_latency_ = std::move(other.link_latency_);
  link_kind_ = std::move(other.link_kind_);
  routing_ = other.routing_;
  // A router refers to the topology it indexed: the moved-to one builds its
  // own on first use.
  router_.reset();
  other.router_.reset();
  return *this;
}
Topology::~Topology() = default;

// ---- building ---------------------------------------------------------------

Vertex Topology::add_vertex(std::string_view name, VertexKind kind, int tier) {
  router_.reset();
  std::string full = open_server_ == kNoServer
                         ? std::string(name)
                         : fmt::format("{}/{}", servers_[open_server_].name, name);
  if (by_name_.contains(full))
    throw TopologyError(fmt::format("two nodes are called `{}`", full));
  const Vertex v = boost::add_vertex(
      VertexProps{full, kind, static_cast<std::uint8_t>(tier), open_server_}, *graph_);
  by_name_.emplace(std::move(full), v);
  if (open_server_ != kNoServer)
    servers_[open_server_].last = v + 1;
  if (open_server_ != kNoServer && kind == VertexKind::kNic)
    servers_[open_server_].nics.push_back(v);
  return v;
}

std::uint32_t Topology::begin_server(std::string name, ServerRole role, sim::BytesPerSec nic_rate) {
  assert(open_server_ == kNoServer && "end_server() before the next begin_server()");
  open_server_ = static_cast<std::uint32_t>(servers_.size());
  const Vertex next = vertex_count();
  servers_.push_back(Server{std::move(name), role, next, next, nic_rate, {}});
  return open_server_;
}

void Topology::end_server() {
  open_server_ = kNoServer;
}

LinkId Topology::add_link(Vertex a, Vertex b, sim::BytesPerSec a_to_b, sim::BytesPerSec b_to_a,
                          sim::Time latency, LinkKind kind) {
  assert(a < vertex_count() && b < vertex_count() && a != b);
  router_.reset();
  const auto forward = static_cast<LinkId>(link_src_.size());
  boost::add_edge(a, b, EdgeProps{forward}, *graph_);
  link_src_.push_back(a);
  link_src_.push_back(b);
  link_capacity_.push_back(a_to_b);
  link_capacity_.push_back(b_to_a);
  link_latency_.push_back(latency);
  link_kind_.push_back(kind);
  return forward;
}

void Topology::add_to_group(const std::string& group, Vertex v) {
  groups_[group].push_back(v);
}

void Topology::set_routing(RoutingOptions options) {
  routing_ = options;
  router_.reset();
}

// ---- queries ----------------------------------------------------------------

std::string Topology::tier_name(int tier) const {
  if (tier >= 1 && static_cast<std::size_t>(tier) <= tier_names_.size())
    return tier_names_[static_cast<std::size_t>(tier) - 1];
  return fmt::format("tier{}", tier);
}

std::optional<Vertex> Topology::try_find(std::string_view name) const {
  if (auto it = by_name_.find(std::string(name)); it != by_name_.end())
    return it->second;
  return std::nullopt;
}

Vertex Topology::find(std::string_view name) const {
  if (auto v = try_find(name))
    return *v;
  std::vector<std::string> names;
  names.reserve(by_name_.size());
  for (const auto& entry : by_name_)
    names.push_back(entry.first);
  throw TopologyError(
      fmt::format("topology `{}` has no node `{}`{}", name_, name, suggestion(name, names)));
}

const std::vector<Vertex>& Topology::group(std::string_view name) const {
  if (auto it = groups_.find(name); it != groups_.end())
    return it->second;
  const std::vector<std::string> names = group_names();
  throw TopologyError(fmt::format("topology `{}` has no group `{}`{}; groups: {}", name_, name,
                                  suggestion(name, names), fmt::join(names, ", ")));
}

bool Topology::has_group(std::string_view name) const {
  return groups_.find(name) != groups_.end();
}

std::vector<std::string> Topology::group_names() const {
  std::vector<std::string> names;
  for (const auto& entry : groups_)
    names.push_back(entry.first);
  return names;
}

std::string Topology::link_name(LinkId l) const {
  return fmt::format("{}->{}", vertex_name(link_source(l)), vertex_name(link_target(l)));
}

// ---- routing ----------------------------------------------------------------

Router& Topology::router() const {
  if (!router_)
    router_ = std::make_unique<Router>(*this);
  return *router_;
}

const Route& Topology::route(Vertex src, Vertex dst, std::uint64_t flow_label,
                             std::uint64_t chunk) const {
  return router().route(src, dst, flow_label, chunk);
}

std::vector<Route> Topology::routes(Vertex src, Vertex dst, std::uint64_t flow_label,
                                    std::uint64_t chunk) const {
  return router().routes(src, dst, flow_label, chunk);
}

std::uint64_t Topology::ecmp_path_count(Vertex src, Vertex dst) const {
  return router().path_count(src, dst);
}

}  // namespace stormsim::topo

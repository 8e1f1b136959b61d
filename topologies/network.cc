#include "topologies/network.h"

#include <boost/graph/adjacency_list.hpp>
#include <span>
#include <utility>
#include <vector>

#include "sim/when.h"

namespace stormsim::topo {

namespace {

// Keeps a sub-flow's path alive in its own frame while it runs.
sim::Task<void> move_along(sim::flow::FlowSystem& flows, std::vector<sim::flow::ConstraintId> path,
                           sim::Bytes bytes, sim::flow::TransferOptions options) {
  co_await flows.transfer(path, bytes, options);
}

// A route's links as the network's constraints, then the extra ones.
void fill_path(std::vector<sim::flow::ConstraintId>& out, const Network& net, const Route& r,
               std::span<const sim::flow::ConstraintId> extra) {
  out.clear();
  out.reserve(r.links.size() + extra.size());
  for (LinkId l : r.links)
    out.push_back(net.constraint(l));
  out.insert(out.end(), extra.begin(), extra.end());
}

}  // namespace

Network::Network(sim::flow::FlowSystem& flows, const Topology& topology)
    : flows_(flows),
      topo_(topology),
      first_(static_cast<sim::flow::ConstraintId>(flows.constraint_count())) {
  for (LinkId l = 0; l < topology.directed_link_count(); ++l)
    flows.add_constraint(topology.capacity(l), topology.link_name(l));
}

sim::Task<void> Network::transfer(Vertex src, Vertex dst, sim::Bytes bytes,
                                  NetworkTransferOptions options) {
  const std::uint64_t label = options.flow_label != 0 ? options.flow_label : ++next_label_;
  if (topo_.routing().policy != RoutePolicy::kSpray) {
    // One path: no parts to spread the bytes over.
    // The route lives in the router's memo: read it before suspending.
    const Route& r = topo_.route(src, dst, label, options.chunk);
    fill_path(path_, *this, r, options.extra);
    const sim::Time latency = r.latency + options.extra_latency;
    co_await flows_.transfer(
        path_, bytes, {.latency = latency, .weight = options.weight, .max_rate = options.max_rate});
    co_return;
  }
  std::vector<Route> routes = topo_.routes(src, dst, label, options.chunk);
  // Sprayed parts together weigh, and may go, as much as one flow would.
  const double k = static_cast<double>(routes.size());
  const sim::Bytes share = bytes / k;
  const sim::flow::TransferOptions part{
      .latency = {}, .weight = options.weight / k, .max_rate = options.max_rate / k};
  std::vector<sim::Task<void>> parts;
  parts.reserve(routes.size());
  for (const Route& r : routes) {
    std::vector<sim::flow::ConstraintId> path;
    fill_path(path, *this, r, options.extra);
    sim::flow::TransferOptions o = part;
    o.latency = r.latency + options.extra_latency;
    parts.push_back(move_along(flows_, std::move(path), share, o));
  }
  if (parts.size() == 1)
    co_await parts.front();
  else
    co_await sim::when_all(std::move(parts));
}

template <typename F>
void Network::for_each_link_of(Vertex v, F&& f) const {
  if (v >= topo_.vertex_count())
    throw TopologyError("no vertex " + std::to_string(v));
  const Topology::Graph& g = topo_.graph();
  for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
    f(g[*e].forward);
}

void Network::fail_link(LinkId l) {
  flows_.fail(constraint(l));
  flows_.fail(constraint(Topology::reverse(l)));
}

void Network::restore_link(LinkId l) {
  flows_.restore(constraint(l));
  flows_.restore(constraint(Topology::reverse(l)));
}

void Network::fail_vertex(Vertex v) {
  for_each_link_of(v, [this](LinkId l) { fail_link(l); });
}

void Network::restore_vertex(Vertex v) {
  for_each_link_of(v, [this](LinkId l) { restore_link(l); });
}

void Network::fail_server(std::uint32_t s) {
  const Server& server = topo_.servers().at(s);
  for (Vertex v = server.first; v < server.last; ++v)
    fail_vertex(v);
}

void Network::restore_server(std::uint32_t s) {
  const Server& server = topo_.servers().at(s);
  for (Vertex v = server.first; v < server.last; ++v)
    restore_vertex(v);
}

}  // namespace stormsim::topo

#include "models/devices/nic.h"

#include <boost/graph/adjacency_list.hpp>
#include <cmath>

#include "models/registry.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

// Ethernet framing around a frame of MTU bytes: header 14, FCS 4, preamble
// and start delimiter 8, inter-frame gap 12 (IEEE 802.3).
constexpr double kEthernetFraming = 38;
// IPv4 20 + TCP 20 + timestamp option 12 (RFC 791, 793, 7323).
constexpr double kTcpIpHeaders = 52;
// RoCEv2 inside the Ethernet MTU: IPv4 20 + UDP 8 + BTH 12 + ICRC 4
// (InfiniBand Architecture Specification, Annex A17).
constexpr double kRoceHeaders = 44;

}  // namespace

double Nic::payload_efficiency(Transport transport, double mtu) {
  if (transport == Transport::kTcp)
    return (mtu - kTcpIpHeaders) / (mtu + kEthernetFraming);
  // RDMA payloads come in InfiniBand MTUs (256 B to 4 KiB): the largest that
  // fits in the Ethernet MTU with the RoCE headers.
  double ib_mtu = 4096;
  while (ib_mtu > 256 && ib_mtu + kRoceHeaders > mtu)
    ib_mtu /= 2;
  return ib_mtu / (ib_mtu + kRoceHeaders + kEthernetFraming);
}

ModelSpec Nic::spec() {
  return ModelSpec{
      "nic",
      "A network port: payload efficiency, transport (RDMA or TCP), per-message overhead, "
      "connections per transfer. The line rate comes from the topology.",
      {
          ParamSpec::string_list("on").def("[]").help(
              "NICs (gpu_nics, storage_nics, a server or a vertex); [] takes every NIC no other "
              "nic component claims"),
          ParamSpec::enumeration("transport", {"rdma", "tcp"})
              .def("rdma")
              .help("rdma: RC verbs, no per-byte CPU cost; tcp: per-byte CPU cost on both hosts "
                    "(host.tcp_rate), one core per connection"),
          // An assumption: jumbo frames, as storage and RoCE fabrics are
          // usually configured (NVIDIA, "RoCE configuration" guides).
          ParamSpec::quantity("mtu", Dimension::kSize)
              .def("9000B")
              .min(576)
              .max(65536)
              .help("Ethernet MTU; sets the payload fraction of the line rate"),
          // NVIDIA ConnectX-7 product brief: sub-microsecond RDMA latency;
          // perftest ib_write_lat gives about 1 us end to end on ConnectX-6/7.
          ParamSpec::time("message_overhead")
              .def("1us")
              .min(0)
              .help("RDMA per-message latency (work request post, doorbell, completion)"),
          ParamSpec::integer("connections")
              .def("1")
              .min(1)
              .max(1024)
              .help("TCP connections or RDMA queue pairs a transfer is striped over"),
      }};
}

STORMSIM_REGISTER_MODEL(Nic);

Nic::Nic(const ComponentContext& ctx)
    : Device(ctx),
      params_(ctx.params),
      transport_(ctx.params.string("transport") == "tcp" ? Transport::kTcp : Transport::kRdma),
      mtu_(ctx.params.bytes("mtu")),
      efficiency_(payload_efficiency(transport_, mtu_.value())),
      message_overhead_(ctx.params.time("message_overhead")),
      connections_(static_cast<int>(ctx.params.integer("connections"))) {
  if (transport_ == Transport::kRdma && mtu_.value() < 256 + kRoceHeaders)
    params_.fail("mtu", "an MTU this small cannot carry RoCE packets");
}

void Nic::bind(Cluster& cluster) {
  const auto& on = params_.string_list("on");
  vertices_ = on.empty() ? cluster.unbound(topo::VertexKind::kNic)
                         : cluster.select(on, topo::VertexKind::kNic, params_, "on");
  const topo::Topology& t = cluster.topology();
  for (std::uint32_t i = 0; i < vertices_.size(); ++i) {
    const topo::Vertex v = vertices_[i];
    cluster.bind_vertex(v, *this, i, params_, "on");
    // The port's fabric links carry headers as well as payload.
    for (auto [e, end] = boost::out_edges(v, t.graph()); e != end; ++e) {
      const topo::LinkId l = t.graph()[*e].forward;
      if (t.link_kind(l) != topo::LinkKind::kAccess)
        continue;
      for (topo::LinkId d : {l, topo::Topology::reverse(l)}) {
        cluster.flows().set_capacity(cluster.network().constraint(d), t.capacity(d) * efficiency_);
      }
    }
  }
}

}  // namespace stormsim::models

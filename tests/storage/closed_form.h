// Closed forms of single transfers on an idle cluster, shared by the
// replication and chain-store tests.
#pragma once

#include <algorithm>

#include "models/cluster.h"
#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/storage/replication.h"

namespace stormsim::models::test {

// The idle rate of the route from `a` to `b`: its narrowest link (NIC links
// at their payload rate).
inline double path_rate(Cluster& c, topo::Vertex a, topo::Vertex b) {
  double rate = 1e300;
  for (topo::LinkId l : c.topology().route(a, b, 1).links)
    rate = std::min(rate, c.flows().capacity(c.network().constraint(l)).value());
  return rate;
}

inline double latency_s(Cluster& c, topo::Vertex a, topo::Vertex b) {
  return c.topology().route(a, b, 1).latency.seconds();
}

// The NIC's per-message overhead when a -> b crosses servers (RDMA), else 0.
inline double overhead_s(Cluster& c, topo::Vertex a, topo::Vertex b) {
  const auto nic = c.sending_nic(a, b, 1);
  return nic ? c.nic(*nic).first->message_overhead().seconds() : 0.0;
}

// One copy of `bytes` from `from` to target `t` on an idle cluster: the
// route's latency, the NIC's overhead, the drive's unloaded latency for one
// request, then the bytes at the narrowest of the route, the drive's rate
// for the shape and its media.
inline double one_copy_write_s(Cluster& c, topo::Vertex from, const storage::Target& t,
                               double bytes, IoShape shape) {
  auto [nvme, index] = t.drive;
  const topo::Vertex drive = nvme->vertex(index);
  const auto op = devices::IoOp::kWrite;
  const double drive_rate =
      std::min(nvme->profile().bandwidth(op, shape.request, shape.queue_depth).value(),
               c.flows().capacity(nvme->media(index, true)).value());
  return latency_s(c, from, drive) + overhead_s(c, from, drive) +
         nvme->profile().curve(op).unloaded_latency(shape.request).seconds() +
         bytes / std::min(path_rate(c, from, drive), drive_rate);
}

}  // namespace stormsim::models::test

// Replication schemes behind the storage services: none, chain (GFS/HDFS
// pipeline, CRAQ), quorum N/R/W (Dynamo, Cassandra) and erasure coding k+m.
//
// A service chooses the targets (a drive on one of its servers per copy or
// fragment) and calls protected_write / protected_read; the scheme decides
// how the bytes travel and when the operation is complete. Every byte goes
// through the service's counting building blocks (write_drive, read_drive,
// message), so the network and drive amplification of a scheme shows up in
// the service's metrics:
//
//   Protection p = read_protection(params_);          // e.g. "EC 8+3"
//   co_await protected_write(*this, p, client.buffer, targets, chunk);
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/devices/nvme.h"
#include "models/storage/service.h"
#include "sim/config/params.h"
#include "sim/task.h"

namespace stormsim::models::storage {

enum class Scheme : std::uint8_t { kNone, kChain, kQuorum, kErasure };
std::string_view name(Scheme s);

// How a service protects its data, and what that costs.
struct Protection {
  Scheme scheme = Scheme::kNone;
  int replicas = 1;          // chain and quorum: N copies
  int write_quorum = 1;      // quorum: W acks before a write returns
  int read_quorum = 1;       // quorum: R replicas read
  int data = 1, parity = 0;  // erasure: k + m

  // How many targets one stripe/chunk needs: N, or k + m (1 for none).
  int targets() const;
  // Bytes stored per byte written: N, or (k+m)/k.
  double amplification() const;
  // Targets that may be lost without losing acknowledged data: N-1 for a
  // chain (every replica holds the write when the tail acks), W-1 for a
  // quorum (an acknowledged write is only known to be on W replicas), m for
  // erasure coding, 0 for none.
  int tolerated_failures() const;
  // "3-way chain", "quorum N=3 W=2 R=2", "EC 8+3", "none".
  std::string describe() const;
};

// The parameters of a service whose protection users choose: protection
// (none|chain|quorum|erasure), replicas, write_quorum, read_quorum, ec_data,
// ec_parity; with defaults passed by the service.
void add_protection_params(std::vector<sim::config::ParamSpec>& params, const char* default_scheme,
                           const char* default_replicas = "3", const char* default_ec_data = "8",
                           const char* default_ec_parity = "3");
// The validated Protection; a ConfigError at the offending key on W > N,
// R > N, a chain or quorum of 0 replicas, k < 1, m < 0.
Protection read_protection(const sim::config::Params& p);

// Where one copy or fragment lives: a server (an index into the service's
// servers()) and one of its drives.
struct Target {
  std::size_t server = 0;
  std::pair<Nvme*, std::uint32_t> drive{nullptr, 0};
};

// Writes `bytes` from `src` to `targets` (p.targets() of them) and returns
// when the scheme considers the write durable:
//  - chain: client -> head -> ... -> tail. Each target pulls the bytes into
//    its server's memory and writes its copy while forwarding from that
//    memory to its successor (so hop i's flow runs from the memory of target
//    i-1's server to target i's drive). Forwarding is cut-through: hop i
//    starts once the first bytes of hop i-1 have reached target i-1's
//    server (its route latency plus the NIC's RDMA message overhead), so the
//    hops' flows overlap and the chain goes at its slowest hop. The tail
//    acknowledges back along the chain to the head, which acks the client.
//    Latency grows by one forwarding delay and one ack per replica.
//  - quorum: `src` (the coordinator) sends to all N in parallel and returns
//    when W have written; the other N-W keep going in the background, so
//    their bytes still load the network and drives.
//  - erasure k+m: `src` encodes (CpuWork::kErasure on its server's host,
//    `bytes` in), then sends bytes/k to each of the k+m targets in parallel
//    and returns when all have written.
//  - none: one copy to targets[0].
sim::Task<void> protected_write(StorageService& svc, const Protection& p, topo::Vertex src,
                                std::vector<Target> targets, sim::Bytes bytes, IoShape shape = {},
                                MoveOptions options = {});

// Reads `bytes` into `dst`:
//  - chain: one replica, any of them (CRAQ): targets[hint % N].
//  - quorum: R replicas in parallel, returning when all R have answered. As
//    Cassandra does, one replica sends the data and R-1 send a digest of it:
//    each digest replica reads the bytes from its drive into its own memory
//    (drive bytes R x, network bytes 1 x) and sends a 256-byte message.
//  - erasure: the k data fragments (systematic code, no decode), bytes/k
//    each, in parallel.
//  - none: targets[0].
sim::Task<void> protected_read(StorageService& svc, const Protection& p, topo::Vertex dst,
                               std::vector<Target> targets, sim::Bytes bytes,
                               std::uint64_t hint = 0, IoShape shape = {},
                               MoveOptions options = {});

// The delay before the first bytes sent from `src` reach `dst` over an idle
// fabric: the route's latency, plus the sending NIC's per-message overhead
// when the bytes cross servers over RDMA. Chain forwarding waits this long
// per hop.
sim::Time first_byte_delay(Cluster& cluster, topo::Vertex src, topo::Vertex dst,
                           const MoveOptions& options = {});

}  // namespace stormsim::models::storage

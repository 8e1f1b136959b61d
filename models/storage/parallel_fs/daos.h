// DAOS-like file system (type `daos`): DFS over a DAOS pool.
//
// Data: a user-space client (libdfs/libdaos over libfabric verbs) with no
// kernel cost per operation: an operation pays only the NIC's per-message
// overhead, which Cluster::move adds on RDMA. A file is a DAOS array object
// cut into `chunk_size` chunks; chunk j is dkey j, and the dkey's hash picks
// one of the object's redundancy groups. A group is `width` targets (the
// engines' drives, laid out round-robin over the servers so a group's shards
// sit on different servers where there are enough). The object class says
// how a group protects its chunk: S1/SX (one target, no protection), RP_<N>
// (N replicas, written in parallel, complete when all N are: protection
// `quorum` with W = N, R = 1) or EC_<k>P<m> (client-side encoding, k data + m
// parity fragments), with a G<n>/GX suffix for the group count. Each chunk is
// an update RPC to the group's leader, the bytes from the client buffer
// straight onto the targets' drives (the engines RDMA-read them into their
// DMA buffers and SPDK writes those to the drives; the flow runs from the
// client buffer over the engine's NIC and PCIe to the drive, without a
// separate hop into engine DRAM), then the leader's reply. A write keeps
// `chunks_in_flight` chunks going at once.
//
// Metadata: a Raft-replicated pool service, `pool_service_replicas` replicas
// on distinct servers (fewer if there are fewer servers). create and remove
// are commits: the request to the leader, one leader operation
// (`pool_service_rate`), an append to every follower, and the reply once a
// majority (the leader and floor(n/2) followers) holds the entry. open and
// list are leader reads (request, one operation, reply; no append). close is
// local (it frees the DFS handle) and fsync returns at once: every DAOS
// update is durable when acknowledged and dfs_sync has nothing to flush.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/storage/parallel_fs/parallel_fs.h"
#include "models/storage/replication.h"

namespace stormsim::models::storage {

// An object class parsed: its protection and group count (0: GX, all
// groups that fit).
struct ObjectClass {
  Protection protection;
  std::size_t groups = 1;
  std::size_t width = 1;  // targets per group
};
// Parses S1, S4, SX, RP_3, RP_3G1, RP_2GX, EC_8P2, EC_8P2GX, EC_4P1G2; a
// std::invalid_argument saying what is valid otherwise.
ObjectClass parse_object_class(const std::string& name);

class DaosFs : public parallel_fs::FileSystem {
 public:
  static sim::config::ModelSpec spec();
  explicit DaosFs(const ComponentContext& ctx);
  ~DaosFs() override;

  void connect(Simulation& sim) override;

  sim::Task<FileId> create(const Client& c, std::string path) override;
  sim::Task<FileId> open(const Client& c, std::string path) override;
  sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> fsync(const Client& c, FileId f) override;
  sim::Task<void> close(const Client& c, FileId f) override;
  sim::Task<void> remove(const Client& c, std::string path) override;
  sim::Task<std::vector<std::string>> list(const Client& c, std::string prefix) override;

  std::string describe() const override;
  double storage_amplification() const override { return class_.protection.amplification(); }
  nlohmann::json metrics(sim::Time end) const override;

  // ---- layout and metadata, for tests and reports ----
  const Protection& protection() const { return class_.protection; }
  std::size_t groups() const { return class_.groups; }
  std::size_t target_count() const { return layout_.size(); }
  // The targets of the group holding chunk `chunk` of file `f`.
  std::vector<Target> chunk_targets(FileId f, std::uint64_t chunk);
  std::size_t pool_service_replicas() const { return replicas_.size(); }
  topo::Vertex replica(std::size_t r) const { return replicas_[r]; }
  const MetadataServer& leader() const { return *leader_; }

 private:
  struct Round;
  sim::Task<void> commit(const Client& c);
  sim::Task<void> leader_read(const Client& c);
  sim::Task<void> append(std::shared_ptr<Round> round, std::size_t follower);
  sim::Task<void> chunk_io(const Client& c, FileId f, std::uint64_t chunk, sim::Bytes bytes,
                           bool write);
  sim::Task<void> io(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size, bool write);

  ObjectClass class_;
  std::string class_name_;
  sim::Bytes chunk_size_;
  sim::Bytes message_size_;
  std::size_t chunks_in_flight_;
  std::unique_ptr<MetadataServer> leader_;
  std::vector<topo::Vertex> replicas_;                       // [0] is the leader
  std::vector<std::pair<std::size_t, std::size_t>> layout_;  // (server, drive) per target
  std::uint64_t commits_ = 0;
};

}  // namespace stormsim::models::storage

// Lustre-like parallel file system (type `lustre`).
//
// Metadata: `mds` metadata servers (MDS/MDT), each a MetadataServer with
// `mds_rate` operations per second; a file belongs to the MDS its path
// hashes to (DNE striped directories hash names over MDTs). Every metadata
// operation (create, open, close, remove, the fsync's commit; list asks
// every MDS, as a readdir of a striped directory does) is one RPC: the
// kernel client's per-RPC cost, a request to the MDS, one MDS operation and
// the reply. A create takes its stripe_count OST objects from the MDS's
// precreated pool (the OSP precreate threads refill it in the background),
// so it costs no OSS round trip: the allocation is inside the MDS operation.
//
// Data: object storage servers are the service's `servers`; their object
// storage targets (OSTs) are their drives, one OST per drive, or
// `osts_per_server` groups of drives (an OST's bytes spread evenly over its
// drives, RAID-0-like). OSTs are ordered round-robin over the servers, and a
// file's `stripe_count` objects are the OSTs first, first+1, ... of that
// order, `first` advancing by stripe_count per created file (Lustre's
// round-robin allocator). Stripe i of a file (stripe_size bytes at offset
// i x stripe_size, then every stripe_count stripes) lives on its object
// i mod stripe_count.
//
// A write or read goes to each of the file's OSTs in parallel as bulk RPCs
// of up to `rpc_size`, at most `max_rpcs_in_flight` per client node and
// OST (one OSC). A write RPC: the client cost, the request, the bulk from the
// client buffer into OSS memory (LNet over the NIC's transport: RDMA as
// o2iblnd does, or TCP as socklnd does, which the NIC model decides), the OSS
// writing it from memory to the OST's drives, and the reply. A read RPC: the
// client cost, the request, the drive into OSS memory, the bulk back.
//
// Protection: none at the file system level. RAID or dRAID inside an OSS
// (ldiskfs on md-RAID, ZFS raidz) is out of scope; the data is on the OST's
// drive when the write RPC replies, and ldiskfs journals only metadata, so
// fsync is the MDS commit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/storage/parallel_fs/parallel_fs.h"

namespace stormsim::models::storage {

class LustreFs : public parallel_fs::FileSystem {
 public:
  static sim::config::ModelSpec spec();
  explicit LustreFs(const ComponentContext& ctx);
  ~LustreFs() override;

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
  double storage_amplification() const override { return 1.0; }
  nlohmann::json metrics(sim::Time end) const override;

  // ---- layout, for tests and reports ----
  // An OST: a server (index into servers()) and its drives.
  struct Ost {
    std::size_t server = 0;
    std::vector<std::pair<Nvme*, std::uint32_t>> drives;
  };
  std::size_t ost_count() const { return osts_.size(); }
  const Ost& ost(std::size_t i) const { return osts_[i]; }
  // The stripe count files get (stripe_count, capped at the OST count).
  std::size_t stripe_count() const { return stripe_count_; }
  // The OST holding stripe `i` of file `f`.
  std::size_t ost_of(FileId f, std::size_t stripe) const;
  // Bytes of [offset, offset + size) that fall on object `object` of a file.
  sim::Bytes bytes_on_object(sim::Bytes offset, sim::Bytes size, std::size_t object) const;
  std::size_t mds_count() const { return mds_.size(); }
  std::size_t mds_of(const std::string& path) const;
  const MetadataServer& mds(std::size_t i) const { return *mds_[i]; }
  topo::Vertex mds_vertex(std::size_t i) const { return mds_vertices_[i]; }

 private:
  sim::Task<void> metadata_rpc(const Client& c, std::size_t mds);
  sim::Task<void> object_io(const Client& c, std::size_t ost, sim::Bytes bytes, bool write);
  sim::Task<void> write_rpc(const Client& c, std::size_t ost, sim::Bytes bytes);
  sim::Task<void> read_rpc(const Client& c, std::size_t ost, sim::Bytes bytes);
  sim::Task<void> io(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size, bool write);
  IoShape drive_shape(sim::Bytes bytes) const;
  // The OSC of client server `client` for `ost`: its RPCs-in-flight slots.
  sim::Resource& osc(std::uint32_t client, std::size_t ost);

  std::size_t stripe_count_ = 1;
  sim::Bytes stripe_size_;
  sim::Bytes rpc_size_;
  sim::Bytes oss_io_size_;
  sim::Bytes message_size_;
  sim::Time client_latency_;
  std::int64_t max_rpcs_in_flight_ = 8;
  std::vector<Ost> osts_;
  std::vector<std::unique_ptr<MetadataServer>> mds_;
  std::vector<topo::Vertex> mds_vertices_;
  std::uint64_t next_ost_ = 0;
  std::map<std::pair<std::uint32_t, std::size_t>, std::unique_ptr<sim::Resource>> oscs_;
  std::uint64_t rpcs_ = 0;
};

}  // namespace stormsim::models::storage

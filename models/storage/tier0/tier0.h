// Tier0: the GPU servers' own NVMe as a checkpoint's first landing zone.
//
// Data path: a client's writes land on its own server's local drives,
// striped over them (no fabric bytes), and, with `peer_replicas: k`, also on
// the drives of k peer servers' tier-0 over the fabric. fsync returns once
// every copy is on drives: the file is *acknowledged*. A background drain
// then copies it from the local drives to the `durable` service with that
// service's own client operations (create/write/fsync/close), a bounded
// number of drains at a time per server and an optional bandwidth cap per
// server; when the durable fsync returns the file is *durable*.
//
// Reads come from the client's own server's copy, else a surviving peer
// copy, else the durable tier. Capacity: each server's tier-0 holds at most
// `capacity` bytes; a write that does not fit evicts drained copies, least
// recently used first, and when nothing drained is left it waits for a drain
// to finish (it never writes through to the durable tier).
//
// Metadata is local: create/open/close cost `metadata_latency` on the home
// server (plus a message to each peer for create), not a metadata service.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/storage/service.h"
#include "models/storage/tier0/layout.h"
#include "sim/stats/hdr_histogram.h"
#include "sim/stats/time_weighted.h"
#include "sim/sync.h"

namespace stormsim::models::storage {

class Tier0 : public StorageService {
 public:
  static sim::config::ModelSpec spec();
  explicit Tier0(const ComponentContext& ctx);
  ~Tier0() override;

  void connect(Simulation& sim) override;

  sim::Task<FileId> create(const Client& c, std::string path) override;
  sim::Task<FileId> open(const Client& c, std::string path) override;
  sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  // Acknowledged when it returns (every tier-0 copy on drives), not durable:
  // see wait_durable.
  sim::Task<void> fsync(const Client& c, FileId f) override;
  sim::Task<void> close(const Client& c, FileId f) override;
  // Waits for the file's drain, then removes it from tier-0 and the durable tier.
  sim::Task<void> remove(const Client& c, std::string path) override;
  sim::Task<std::vector<std::string>> list(const Client& c, std::string prefix) override;

  std::string describe() const override;
  // Tier-0 copies only: 1 + peer_replicas (the durable tier counts its own).
  double storage_amplification() const override;

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

  // ---- durability, for tiered checkpoints ----
  // Completes once everything acknowledged of `f` has been drained to the
  // durable tier (true), or once that can no longer happen because every
  // tier-0 copy was lost first (false).
  sim::Task<bool> wait_durable(FileId f);
  bool is_durable(FileId f) const;
  // When `f` was first acknowledged / became durable; nullopt if not yet.
  std::optional<sim::Time> acknowledged_at(FileId f) const;
  std::optional<sim::Time> durable_at(FileId f) const;
  StorageService& durable_tier() const { return *durable_; }

  // ---- failures, for restores ----
  // Where a read of `f` by a client on topology server `server` would come
  // from now.
  enum class Source : std::uint8_t { kLocal, kPeer, kDurable, kLost };
  Source source_for(FileId f, std::uint32_t server) const;
  // Whether all of `f` that was acknowledged still exists somewhere (a live
  // tier-0 copy or the durable tier) if topology server `failed` is lost
  // too (pass a server outside the service to ask about the present).
  bool survives(FileId f, std::uint32_t failed) const;
  // Whether `f` has a tier-0 copy on a live server other than `failed`.
  bool has_tier0_copy(FileId f, std::uint32_t failed) const;
  // The topology servers holding a tier-0 copy of `f` now.
  std::vector<std::uint32_t> copies(FileId f) const;
  // Loses topology server `server`'s tier-0 (a node failure): its copies
  // are gone, drains from it continue from a surviving copy, and files with
  // no copy left and not yet durable are lost. Transfers already under way
  // run to completion (the flow model cannot cut them).
  void fail_server(std::uint32_t server);

  // ---- capacity ----
  sim::Bytes capacity_per_server() const { return sim::Bytes(capacity_); }
  // Bytes of tier-0 copies (and space reserved by writes) on topology server `server`.
  sim::Bytes used(std::uint32_t server) const;

 private:
  static constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();

  // A file's tier-0 state, beside the namespace's File.
  struct Entry {
    std::string path;
    std::uint32_t home = 0;              // index into servers()
    std::vector<std::uint32_t> holders;  // nodes with a copy, home first
    double landed = 0;                   // bytes written onto tier-0
    double acked = 0;                    // of them, acknowledged (handed to drains)
    double drained = 0;                  // of them, durable on the durable tier
    int writing = 0;                     // writes in flight
    int drains = 0;                      // drains queued or running
    bool lost = false;
    bool durable_created = false;
    FileId durable_id = 0;
    sim::Time created{}, last_use{};
    std::optional<sim::Time> acked_at, durable_at;
    std::unique_ptr<sim::Signal> changed;        // durability or loss
    std::unique_ptr<sim::Resource> drain_order;  // one drain of a file at a time
  };
  // One server's tier-0.
  struct Node {
    std::uint32_t server = 0;
    topo::Vertex memory = 0;
    topo::Vertex leaf = 0;
    double capacity = 0;
    double used = 0;
    bool failed = false;
    std::set<FileId> files;  // with a copy here
    std::unique_ptr<sim::Resource> drains;
    std::unique_ptr<sim::Signal> freed;
    std::vector<sim::flow::ConstraintId> drain_cap;  // empty: uncapped
  };

  Entry& entry(FileId f);
  const Entry& entry(FileId f) const;
  std::uint32_t local_index(std::uint32_t server) const;  // into servers(), or npos
  std::uint32_t home_for(const Client& c) const;
  bool alive_copy(const Entry& e, std::uint32_t node) const;
  std::optional<std::uint32_t> copy_for(const Entry& e, std::uint32_t prefer) const;

  // Writes/reads [offset, offset + size) of a file striped over node `n`'s drives.
  sim::Task<void> write_striped(topo::Vertex src, std::uint32_t n, double offset, double size,
                                MoveOptions options);
  sim::Task<void> read_striped(topo::Vertex dst, std::uint32_t n, double offset, double size,
                               MoveOptions options);
  sim::Task<void> write_peer(topo::Vertex src, std::uint32_t n, double offset, double size);

  // Space: reserves `bytes` on node `n`, evicting drained copies (LRU) and
  // then waiting for drains as needed.
  sim::Task<void> reserve(std::uint32_t n, double bytes, FileId writer);
  bool evict_one(std::uint32_t n, FileId writer);
  void drop_copy(FileId f, std::uint32_t n);

  // Acknowledges `f`'s landed bytes not yet acknowledged and starts their drain.
  void acknowledge(FileId f);
  sim::Task<void> drain(FileId f, double offset, double bytes);
  // Copies [offset, offset + bytes) to the durable tier: chunks read one
  // after the other from a live tier-0 copy into `drain_depth` buffers, each
  // written out while the next are read; returns the bytes copied (fewer if
  // every copy was lost).
  sim::Task<double> drain_chunks(FileId f, FileId durable_file, double offset, double bytes);
  sim::Task<void> drain_write(FileId f, FileId durable_file, Client dc, double offset, double size,
                              sim::Permit buffer, double* copied);
  void became_durable(FileId f);
  void lose(FileId f);
  void set_backlog(double delta);

  StorageService* durable_ = nullptr;
  std::size_t peer_replicas_;
  tier0::PeerPlacement placement_;
  double stripe_unit_;
  double drain_chunk_;
  std::int64_t drain_depth_;
  double drain_cap_;  // bytes/s per server; 0: none
  double capacity_;   // per server
  sim::Time metadata_latency_;

  std::vector<Node> nodes_;    // by index into servers()
  std::deque<Entry> entries_;  // by FileId; a deque keeps references stable
  std::map<std::string, FileId, std::less<>> ids_;

  sim::stats::HdrHistogram ack_latency_, durable_latency_, drain_latency_;
  sim::stats::TimeWeighted backlog_;
  double backlog_bytes_ = 0;
  double drained_bytes_ = 0, evicted_bytes_ = 0;
  std::uint64_t evictions_ = 0, space_waits_ = 0, lost_files_ = 0;
  double space_wait_s_ = 0;
  std::array<double, 3> read_from_{};  // local, peer, durable
};

}  // namespace stormsim::models::storage

// StorageService: what every storage system in stormsim offers its clients.
//
// A service is a set of server nodes placed on the topology (`servers:`),
// with a data path, a metadata path and a protection scheme. Every service
// exposes the same client operations, so a workload runs unchanged on a
// parallel file system, a chain-replicated store, an object store or a
// tier-0 cache:
//
//   storage::FileId f = co_await fs.create(client, "ckpt/step100/rank0");
//   co_await fs.write(client, f, Bytes(0), shard);
//   co_await fs.fsync(client, f);     // durable when this returns
//   co_await fs.close(client, f);
//
// The base class keeps the namespace (paths, sizes), counts operations and
// bytes (logical, over the network, onto drives), and offers the building
// blocks: a metadata server with an operation rate, moves that count their
// bytes, and drive writes.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/cluster.h"
#include "models/component.h"
#include "models/devices/nvme.h"
#include "sim/stats/counter.h"
#include "sim/stats/hdr_histogram.h"
#include "sim/sync.h"
#include "sim/task.h"

namespace stormsim::models {
class Simulation;
}

namespace stormsim::models::storage {

// A process using the service: a rank on a server. Its bytes start at (or
// end in) `buffer`: host memory for staged I/O, the GPU for GPUDirect.
struct Client {
  topo::Vertex buffer = 0;
  std::uint32_t server = 0;  // index into topology().servers()
  std::uint64_t id = 0;      // rank: picks connections, placements, prefixes
};

using FileId = std::uint64_t;

// The client operations, for counting.
enum class Op : std::uint8_t { kCreate, kOpen, kWrite, kRead, kFsync, kClose, kRemove, kList };
inline constexpr std::size_t kOps = 8;
std::string_view name(Op op);

// An operation the service cannot perform (no such file, a limit exceeded).
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A server whose metadata operations are limited to `rate` per second: a
// FIFO queue in front of `parallelism` identical workers, each taking
// parallelism / rate per operation (so together `rate`).
class MetadataServer {
 public:
  MetadataServer(sim::Engine& engine, double rate, std::int64_t parallelism = 1);
  // One operation: queueing plus service.
  sim::Task<void> op();
  double rate() const { return rate_; }
  std::uint64_t operations() const { return operations_; }
  const sim::stats::HdrHistogram& latency() const { return latency_; }

 private:
  sim::Engine& engine_;
  double rate_;
  sim::Resource workers_;
  sim::Time service_;
  std::uint64_t operations_ = 0;
  sim::stats::HdrHistogram latency_;
};

class StorageService : public Component {
 public:
  // Every service's common parameters: `servers` (which servers of the
  // topology run it). Add them to a spec with add_common_params.
  static void add_common_params(std::vector<sim::config::ParamSpec>& params,
                                const char* default_servers = "[storage_servers]");

  explicit StorageService(const ComponentContext& ctx);
  ~StorageService() override;

  // ---- client operations ----
  // Creates `path` (empty) and opens it; a StorageError if it exists.
  virtual sim::Task<FileId> create(const Client& c, std::string path) = 0;
  // Opens an existing file; a StorageError if there is none.
  virtual sim::Task<FileId> open(const Client& c, std::string path) = 0;
  virtual sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) = 0;
  virtual sim::Task<void> read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) = 0;
  // Durable when it returns (the object store's multipart complete, a
  // chain's tail ack, a file system's fsync).
  virtual sim::Task<void> fsync(const Client& c, FileId f) = 0;
  virtual sim::Task<void> close(const Client& c, FileId f) = 0;
  virtual sim::Task<void> remove(const Client& c, std::string path) = 0;
  virtual sim::Task<std::vector<std::string>> list(const Client& c, std::string prefix) = 0;

  // A one-line description of the data path and protection ("3-way chain
  // replication over RDMA, 512 KiB chunks"), echoed in results.
  virtual std::string describe() const = 0;
  // Bytes the drives store per byte written: 3 for 3-way replication,
  // (k+m)/k for erasure coding.
  virtual double storage_amplification() const = 0;

  // What losing the topology servers in `failed` does to file `f`: the most
  // copies or fragments lost from any one stripe (chunk, object), against
  // the protection's shape (data fragments, redundant ones). nullopt when
  // the service does not track where a file's stripes live.
  struct LossImpact {
    int worst_fragments_lost = 0;
    int data_fragments = 1;
    int redundancy = 0;  // extra copies (replication) or parity fragments
  };
  virtual std::optional<LossImpact> loss_impact(FileId /*f*/,
                                                std::span<const std::uint32_t> /*failed*/) const {
    return std::nullopt;
  }

  void connect(Simulation& sim) override;
  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

  // ---- namespace ----
  struct File {
    std::string path;
    sim::Bytes size{0};
    std::uint64_t placement = 0;  // the service's layout seed (first target, chain)
    bool durable = true;          // all written bytes committed
  };
  File& file(FileId f);
  const File& file(FileId f) const;
  const File* find(const std::string& path) const;
  // The id of the file at `path`; a StorageError if there is none.
  FileId id_of(const std::string& path) const;
  std::size_t file_count() const { return paths_.size(); }
  Cluster& cluster() const { return *cluster_; }
  const std::vector<std::uint32_t>& servers() const { return servers_; }
  // The drives of storage server `i` (an index into servers()).
  struct ServerDrives {
    std::vector<std::pair<Nvme*, std::uint32_t>> drives;
    topo::Vertex memory = 0;
  };
  const ServerDrives& drives_of(std::size_t i) const { return server_drives_[i]; }
  std::size_t total_drives() const { return total_drives_; }
  // A drive by global index in [0, total_drives()): server-major.
  std::pair<std::size_t, std::pair<Nvme*, std::uint32_t>> drive(std::size_t global) const;

  // ---- building blocks for the services and their protection schemes ----
  // Namespace changes, for the subclasses' create/remove/list.
  FileId add_file(const std::string& path, std::uint64_t placement);
  void remove_file(const std::string& path);
  std::vector<std::string> paths_with_prefix(const std::string& prefix) const;

  // Counts an operation and its latency (call at its end with its start).
  void count(Op op, sim::Time started, sim::Bytes bytes = sim::Bytes(0));
  // Moves bytes between two vertices, counting them as network bytes when
  // they cross servers.
  sim::Task<void> move(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes,
                       MoveOptions options = {});
  // Writes bytes from `src` onto a drive (counted as drive bytes too).
  sim::Task<void> write_drive(topo::Vertex src, std::pair<Nvme*, std::uint32_t> drive,
                              sim::Bytes bytes, IoShape shape = {}, MoveOptions options = {});
  sim::Task<void> read_drive(topo::Vertex dst, std::pair<Nvme*, std::uint32_t> drive,
                             sim::Bytes bytes, IoShape shape = {}, MoveOptions options = {});
  // A small control message (a request, an ack) of `bytes` from `src` to
  // `dst`: the route's latency plus the bytes at line rate. Messages between
  // two endpoints share one connection, hence one path.
  sim::Task<void> message(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes = sim::Bytes(256));

 protected:
  sim::config::Params params_;
  sim::Engine& engine_;

 private:
  Cluster* cluster_ = nullptr;
  std::vector<std::uint32_t> servers_;
  std::vector<ServerDrives> server_drives_;
  std::size_t total_drives_ = 0;
  std::vector<File> files_;
  std::map<std::string, FileId, std::less<>> paths_;
  std::array<std::uint64_t, kOps> ops_{};
  std::array<sim::stats::HdrHistogram, kOps> op_latency_;
  double logical_written_ = 0, logical_read_ = 0;
  // Bytes crossing servers: toward the service's servers (the write path)
  // and away from them (reads, responses).
  double network_in_ = 0, network_out_ = 0, drive_written_ = 0, drive_read_ = 0;
  std::vector<bool> is_server_;  // by topology server index
  enum class Path : std::uint8_t { kWrite, kRead, kAny };
  void count_network(topo::Vertex src, topo::Vertex dst, double bytes, Path path);
};

}  // namespace stormsim::models::storage

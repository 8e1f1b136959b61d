// checkpoint: a training job's periodic checkpoints and the restore after a
// failure, on a cluster and a storage service.
//
// The job's state comes from a model description (llm_state.h: the MLPerf
// Storage catalogue or any transformer, a precision, TP x PP x DP and the
// ZeRO stage) laid out in files per rank as DLIO writes them. One rank runs
// per GPU of the client servers, in order (rank r is GPU r mod G of server
// r / G).
//
// Every `interval` of training the job checkpoints; training stalls for the
// strategy's blocking part, the rest goes on in the background:
//  - sync: GPU-to-host copy, then create/write/fsync/close of every file on
//    the storage service; training waits until all is durable.
//  - async: training waits only for the GPU-to-host copy; the files are
//    persisted in the background while training goes on. The next checkpoint
//    waits for the previous one's persistence (its host buffer), and that
//    wait counts as stall.
//  - tiered: the files land on a tier0 service (the GPU servers' NVMe, with
//    its peer copies); training waits for the acknowledgement, and the
//    checkpoint is durable when tier0 has drained every file.
//  - peer_memory (Gemini, SOSP'23): GPU-to-host copy (the stall), then a copy
//    into a peer server's host memory in the background (the checkpoint is
//    then safe from one server's loss); every `persist_every`-th checkpoint
//    is also written to the storage service in the background.
//
// After the last checkpoint, the restore (the read storm): every rank reads
// its shard back and copies it to its GPU: from host memory or the peer's
// (peer_memory), from tier0 where its copy survived (tiered), else from the
// durable service. `failed_server` loses one client server's local state
// first.
//
// Outputs per checkpoint: stall, time to durable, MLPerf's duration (max over
// ranks) and throughput (min over ranks), aggregate throughput, per-rank
// completion percentiles, metadata operations, per-tier bandwidth over time
// and its burstiness, and per phase the constraints that were bottlenecks and
// the achieved fraction of the fabric's physical limit.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/cluster.h"
#include "models/component.h"
#include "models/workloads/llm_state.h"
#include "sim/flow/flow_system.h"
#include "sim/observer.h"
#include "sim/sync.h"

namespace stormsim::models {

class Gpu;
namespace failures {
class FailureAnalysis;
}
namespace storage {
class StorageService;
class Tier0;
struct Client;
}  // namespace storage

class Checkpoint : public Component {
 public:
  static sim::config::ModelSpec spec();
  explicit Checkpoint(const ComponentContext& ctx);
  ~Checkpoint() override;

  void connect(Simulation& sim) override;
  void start() override;

  enum class Strategy : std::uint8_t { kSync, kAsync, kTiered, kPeerMemory };

  // A stretch of time whose bottlenecks are attributed (stall, persist, restore).
  struct Phase {
    std::string name;
    sim::Time start{}, end{};
    double bytes = 0;            // logical bytes the phase moved
    double physical_limit = 0;   // bytes/s between the groups involved, 0 if unknown
    nlohmann::json bottlenecks;  // constraints that limited flows in the phase
  };
  struct Record {
    sim::Time start{};
    sim::Time copy_end{};  // the last rank's GPU-to-host copy
    sim::Time stall_end{};
    sim::Time durable_end{};
    sim::Time safe_end{};  // peer_memory: in two servers' memory
    bool durable = false;  // reached durability (persisted or drained)
    double bytes = 0;
    std::vector<float> rank_stall_s;    // per rank: blocking part
    std::vector<float> rank_durable_s;  // per rank: until its files are durable
    std::size_t blocked = 0, persisted = 0, safe = 0, failed = 0;
    std::vector<Phase> phases;
    std::string trace_name;        // "checkpoint <n>", for trace slices
    std::string background_trace;  // its traced background slice, if any
    double stall_s() const { return (stall_end - start).seconds(); }
    double durable_s() const { return (durable_end - start).seconds(); }
  };
  struct Restore {
    sim::Time start{}, end{};
    std::vector<float> rank_s;
    std::size_t done = 0, failed = 0;
    double bytes = 0;
    std::array<std::size_t, 4> from{};  // host memory, peer memory, tier0, durable
    std::vector<Phase> phases;
  };

  const std::vector<Record>& records() const { return records_; }
  const Restore& restore() const { return restore_; }
  const llm::CheckpointLayout& layout() const { return layout_; }
  std::size_t ranks() const { return ranks_.size(); }
  Strategy strategy() const { return strategy_; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;
  // With several checkpoint components, the last prints a table comparing them.
  std::vector<std::string> closing_summary(sim::Time end) const override;

 private:
  struct Rank {
    std::uint32_t server = 0;     // topology server
    std::uint32_t peer = 0;       // peer_memory: the server holding its copy
    topo::Vertex gpu_vertex = 0;  // its GPU
    Gpu* gpu = nullptr;
    std::uint32_t gpu_index = 0;
    std::uint32_t shard = 0;  // index into layout_.ranks
  };
  // A set of constraints whose carried bytes make one tier's bandwidth.
  struct Tier {
    std::string name;
    std::vector<sim::flow::ConstraintId> constraints;
    double capacity = 0;  // bytes/s, summed
    double last = 0;      // cumulative bytes at the previous sample
    std::vector<double> rate;
    double bytes = 0;          // carried while sampling checkpoints
    double restore_bytes = 0;  // carried while sampling the restore
    double peak = 0;           // highest sampled rate during checkpoints
  };
  // A constraint that was a bottleneck while sampling: its utilization in
  // every sample from the one where it first limited a flow.
  struct BottleneckSeries {
    sim::flow::ConstraintId constraint = 0;
    double capacity = 0;      // bytes/s, the highest seen
    double bottleneck_s = 0;  // summed over the samples
    std::vector<float> utilization;
  };
  struct Metadata {
    std::uint64_t count = 0;
    double seconds = 0;  // summed latency
  };

  sim::Task<void> drive();
  sim::Task<void> storage_fault();
  // Re-protects what the lost server held: survivor i reads its share from
  // its drives into survivor i+1's memory, which writes it to its drives.
  sim::Task<void> rebuild_share(std::size_t from, std::size_t to, double read_bytes,
                                double write_bytes);
  // survived / degraded / lost / unknown for checkpoint k after the fault.
  std::string verdict(std::size_t k) const;
  void feed_failure_analysis();
  sim::Task<void> save(std::size_t k, std::size_t r);
  sim::Task<void> persist(std::size_t k, std::size_t r, storage::StorageService& svc,
                          const storage::Client& c);
  sim::Task<void> restore_rank(std::size_t r);
  sim::Task<void> read_files(std::size_t r, storage::StorageService& svc, const storage::Client& c);
  sim::Task<void> watch_background(std::size_t k, std::vector<sim::flow::FlowSystem::Usage> before);
  sim::Task<void> sample();
  void activity(int delta);
  storage::Client client_of(std::size_t r) const;
  std::string path(std::size_t k, const llm::CheckpointFile& f) const;
  bool persists(std::size_t k) const;
  void rank_blocked(std::size_t k, std::size_t r);
  void rank_done(std::size_t k, std::size_t r, bool ok);
  void note_failure(const std::exception& e);
  void note_metadata(std::size_t op, sim::Time started);

  // Bottleneck attribution: the usage of every constraint at a phase's start.
  std::vector<sim::flow::FlowSystem::Usage> snapshot() const;
  Phase close_phase(std::string name, sim::Time start,
                    const std::vector<sim::flow::FlowSystem::Usage>& before, double bytes,
                    double physical_limit) const;
  void build_tiers();
  double physical_limit(bool restore);
  // Per-sample utilization of the constraints that were bottlenecks
  // (time_series.bottlenecks); start_bottleneck_sampling at each sampler start.
  void start_bottleneck_sampling();
  void sample_bottlenecks(double dt);
  // Indices of the series with the most bottleneck time, most first.
  std::vector<std::size_t> top_bottlenecks(std::size_t n) const;

  // Trace records (free when nothing traces): a slice on rank r's track, an
  // instant on it or on the component, a slice on one of the component's
  // own tracks (stall, background, restore), a counter.
  void trace_rank(sim::Record::Kind kind, std::size_t r, std::string_view what) const;
  void trace_job(sim::Record::Kind kind, std::string_view track, std::string_view what) const;
  void trace_instant(std::string_view what) const;
  void trace_counter(std::string_view counter, double value) const;
  // A slice on rank r's track that ends when it goes out of scope, so an
  // exception (a failed write) or the engine's shutdown also closes it.
  class RankSlice {
   public:
    RankSlice(const Checkpoint& c, std::size_t r, std::string_view what);
    ~RankSlice() { end(); }
    RankSlice(const RankSlice&) = delete;
    RankSlice& operator=(const RankSlice&) = delete;
    void end();

   private:
    const Checkpoint& c_;
    std::size_t r_;
    std::string_view what_;
    bool open_;
  };
  std::string_view background_name(std::size_t k) const;

  sim::config::Params params_;
  sim::Engine& engine_;
  Strategy strategy_;
  llm::Transformer model_;
  llm::Precision precision_;
  llm::Parallelism parallelism_;
  llm::CheckpointLayout layout_;
  std::string folder_;
  std::int64_t count_;
  sim::Time interval_, start_at_, sample_period_;
  bool fsync_, restore_enabled_, attribute_;
  std::int64_t persist_every_;
  std::string failed_server_name_;
  std::vector<std::string> dlio_unknown_keys_;  // DLIO keys the simulation ignores

  Cluster* cluster_ = nullptr;
  storage::StorageService* storage_ = nullptr;
  storage::Tier0* tier0_ = nullptr;
  failures::FailureAnalysis* failures_analysis_ = nullptr;
  std::vector<Rank> ranks_;
  std::vector<std::uint32_t> servers_;  // client servers, in order
  std::optional<std::uint32_t> failed_server_;
  std::optional<std::uint32_t> failed_storage_;  // topology server lost during the run
  std::optional<sim::Time> storage_fault_at_;    // when it was
  struct Rebuild {
    double lost_bytes = 0, read_bytes = 0, write_bytes = 0;
    sim::Time start{}, end{};
    std::size_t shares = 0, done = 0;
  } rebuild_;

  std::vector<const Checkpoint*> siblings_;  // every checkpoint component, set on the last

  std::vector<Record> records_;
  std::vector<std::unique_ptr<sim::Event>> blocked_, durable_;
  Restore restore_;
  std::unique_ptr<sim::Event> restored_;
  std::array<Metadata, 4> metadata_{};  // create, open, fsync, close
  std::vector<Tier> tiers_;
  std::vector<double> sample_t_;
  std::vector<sim::flow::FlowSystem::Usage> bottleneck_last_;  // per constraint, last sample
  std::vector<std::int32_t> bottleneck_row_;                   // per constraint: its series, or -1
  std::vector<BottleneckSeries> bottleneck_series_;
  bool background_traced_ = false;  // a background slice is open on the trace
  int active_ = 0;                  // checkpoints (and the restore) under way
  bool sampler_running_ = false;
  bool restoring_ = false;
  std::optional<double> limit_save_, limit_restore_;
  std::size_t failures_ = 0;
  std::string first_error_;
};

}  // namespace stormsim::models

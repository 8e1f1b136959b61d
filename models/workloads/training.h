// training: the data reads of an MLPerf Storage training workload (DLIO's
// `train` workflow, e.g. experiments/dlio/unet3d_h100.yaml) and its
// accelerator-utilization metric (AU).
//
// Semantics:
//  - Ranks: one per GPU of the `clients` servers, in order (or the first
//    `ranks` of them). Rank r reads through its server's host memory.
//  - Dataset: `files` files of `samples_per_file` samples of `record_length`
//    bytes each; with `record_length_stdev` > 0 each file's record length is
//    drawn once from a normal distribution (engine.rng stream
//    "<name>.dataset"), truncated at >= 1 byte, as DLIO's data generator
//    sizes its files. Before training the ranks create, write and close the
//    files on the storage service (rank r writes files r, r + R, ...). That
//    time is not part of any epoch: training starts once all are written.
//  - Each epoch the global sample list is shuffled (seed `seed` + epoch;
//    DLIO shuffles its sample-to-file map with its seed when file_shuffle or
//    sample_shuffle is on) and sharded as DLIO's PyTorch sampler does
//    (data_loader/torch_data_loader.py dlio_sampler: rank r takes the r-th
//    contiguous run of the list): steps = floor(files x samples_per_file /
//    batch_size / ranks) per rank (utils/statscounter.py), and rank r reads
//    the r-th run of steps x batch_size samples (the rest is not read).
//  - Each rank runs `read_threads` reader coroutines that take the rank's
//    next sample, open its file, read the record, close it, and put the
//    sample in a bounded prefetch buffer of prefetch x batch_size samples (a
//    reader waits for a free slot before it reads: DLIO's PyTorch loader
//    keeps ceil(prefetch_size / read_threads) batches per worker, about
//    prefetch_size batches in all), and one trainer that waits for
//    batch_size samples, frees their slots, then computes for
//    computation_time (+ a truncated normal with computation_time_stdev,
//    stream "<name>.compute"). All ranks start each epoch together (DLIO's
//    barrier between epochs).
//  - AU, as DLIO computes it (argonne-lcf/dlio_benchmark,
//    dlio_benchmark/utils/statscounter.py, compute_metrics_train and
//    end_train/end_run): per rank and epoch, AU = sum of the compute time of
//    the measured steps / (epoch time on that rank - the step time of the
//    excluded steps), where the first `exclude_start_steps` (DLIO's
//    metric.exclude_start_steps, default 1) and last `exclude_end_steps`
//    (default 0) steps are excluded and a step's time runs from when it
//    starts waiting for its batch to the end of its compute. An epoch's AU is
//    the mean over ranks; the run's AU is the mean over epochs; the run
//    passes when it is >= au_target (metric.au, 0.90 for unet3d).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/component.h"
#include "models/storage/service.h"
#include "sim/sync.h"

namespace stormsim::models {

namespace training {

// One training step on one rank, in seconds of simulated time.
struct Step {
  double load_start = 0;     // began waiting for its batch
  double compute_start = 0;  // batch in hand
  double end = 0;            // compute done
};

// DLIO's per-rank, per-epoch AU (statscounter.py compute_metrics_train):
// sum(compute of steps [exclude_start, n - 1 - exclude_end]) / (epoch_end -
// epoch_start - sum(step time of the excluded steps)). 0 when no compute.
double rank_epoch_au(std::span<const Step> steps, double epoch_start, double epoch_end,
                     std::int64_t exclude_start = 1, std::int64_t exclude_end = 0);

// Steps per rank per epoch: floor(files x samples_per_file / batch / ranks).
std::int64_t steps_per_epoch(std::int64_t files, std::int64_t samples_per_file,
                             std::int64_t batch_size, std::int64_t ranks);

// The global sample indices rank `rank` reads in epoch `epoch`: the sample
// list shuffled with seed (seed, epoch), its rank-th run of steps x batch.
std::vector<std::int64_t> rank_samples(std::int64_t files, std::int64_t samples_per_file,
                                       std::int64_t batch_size, std::int64_t ranks,
                                       std::int64_t rank, std::int64_t epoch, std::uint64_t seed,
                                       bool shuffle = true);

// The storage read rate that keeps every accelerator busy: ranks x batch x
// mean record / computation time (bytes/s; 0 when computation_time is 0).
double needed_read_rate(std::int64_t ranks, std::int64_t batch_size, double mean_record_bytes,
                        double computation_time_s);

}  // namespace training

class Training : public Component {
 public:
  static sim::config::ModelSpec spec();
  explicit Training(const ComponentContext& ctx);
  ~Training() override;

  void connect(Simulation& sim) override;
  void start() override;

  struct Job {
    std::int64_t files = 0, samples_per_file = 1;
    double record_length = 0, record_length_stdev = 0;
    std::int64_t batch_size = 1, read_threads = 1, prefetch = 2;
    double computation_time_s = 0, computation_time_stdev_s = 0;
    std::int64_t epochs = 1;
    double au_target = 0.90;
    std::uint64_t seed = 123;
    bool shuffle = true;
  };
  struct Epoch {
    double start_s = 0, end_s = 0;
    double samples = 0, bytes = 0, compute_s = 0;
    double au = 0;  // DLIO's: mean over ranks
    double duration() const { return end_s - start_s; }
  };
  const Job& job() const { return job_; }
  const std::vector<Epoch>& epochs() const { return epochs_; }
  std::size_t ranks() const { return clients_.size(); }
  double au() const;  // mean over the epochs done
  bool passed() const { return au() >= job_.au_target; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  struct Rank {
    std::vector<std::int64_t> samples;  // this epoch's, in order
    std::size_t next = 0;               // next sample a reader takes
    std::deque<sim::Permit> ready;      // read samples, holding their slots
    std::unique_ptr<sim::Resource> slots;
    std::unique_ptr<sim::Event> arrived;
    std::vector<training::Step> steps;
    double epoch_start = 0, epoch_end = 0, bytes = 0;
  };
  sim::Task<void> run_rank(std::size_t r);
  sim::Task<void> populate(std::size_t r);
  sim::Task<void> reader(std::size_t r);
  sim::Task<void> trainer(std::size_t r, std::int64_t steps);
  sim::Task<void> barrier();
  std::string path(std::int64_t file) const;
  void fail(const std::string& what);

  sim::config::Params params_;
  sim::Engine& engine_;
  storage::StorageService* storage_ = nullptr;
  std::vector<storage::Client> clients_;
  std::vector<Rank> rank_;
  Job job_;
  std::string prefix_;
  std::int64_t exclude_start_ = 1, exclude_end_ = 0;
  std::vector<double> file_record_;  // record length of each file
  std::vector<std::string> dlio_unknown_keys_;
  std::string dlio_source_;
  // barrier
  std::size_t arrived_ = 0;
  std::uint64_t generation_ = 0;
  std::unique_ptr<sim::Signal> barrier_;
  double train_start_s_ = -1;
  std::vector<Epoch> epochs_;
  std::vector<std::vector<double>> rank_au_;  // [epoch][rank]
  std::size_t failed_ = 0;
  std::string first_error_;
};

}  // namespace stormsim::models

#include "models/workloads/training.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "models/registry.h"
#include "models/simulation.h"
#include "models/workloads/dlio.h"
#include "sim/flow/flow_system.h"
#include "sim/random.h"
#include "sim/when.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace training {

double rank_epoch_au(std::span<const Step> steps, double epoch_start, double epoch_end,
                     std::int64_t exclude_start, std::int64_t exclude_end) {
  const auto n = static_cast<std::int64_t>(steps.size());
  const std::int64_t first = std::max<std::int64_t>(0, exclude_start);
  const std::int64_t last = n - 1 - std::max<std::int64_t>(0, exclude_end);
  double compute = 0, excluded = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Step& s = steps[static_cast<std::size_t>(i)];
    if (i >= first && i <= last)
      compute += s.end - s.compute_start;
    else
      excluded += s.end - s.load_start;
  }
  const double total = epoch_end - epoch_start - excluded;
  if (compute <= 0 || total <= 0)
    return 0;
  return compute / total;
}

std::int64_t steps_per_epoch(std::int64_t files, std::int64_t samples_per_file,
                             std::int64_t batch_size, std::int64_t ranks) {
  if (batch_size <= 0 || ranks <= 0)
    return 0;
  return files * samples_per_file / batch_size / ranks;
}

std::vector<std::int64_t> rank_samples(std::int64_t files, std::int64_t samples_per_file,
                                       std::int64_t batch_size, std::int64_t ranks,
                                       std::int64_t rank, std::int64_t epoch, std::uint64_t seed,
                                       bool shuffle) {
  const std::int64_t total = files * samples_per_file;
  std::vector<std::int64_t> all(static_cast<std::size_t>(total));
  std::iota(all.begin(), all.end(), 0);
  if (shuffle) {
    sim::Rng rng(sim::RngStreams::derive_seed(seed, fmt::format("epoch{}", epoch)));
    for (std::size_t i = all.size(); i > 1; --i)
      std::swap(all[i - 1], all[rng.below(i)]);
  }
  const std::int64_t per_rank =
      steps_per_epoch(files, samples_per_file, batch_size, ranks) * batch_size;
  const auto begin = all.begin() + rank * per_rank;
  return {begin, begin + per_rank};
}

double needed_read_rate(std::int64_t ranks, std::int64_t batch_size, double mean_record_bytes,
                        double computation_time_s) {
  if (computation_time_s <= 0)
    return 0;
  return static_cast<double>(ranks * batch_size) * mean_record_bytes / computation_time_s;
}

}  // namespace training

ModelSpec Training::spec() {
  return ModelSpec{
      "training",
      "MLPerf Storage training data reads (DLIO's train workflow, e.g. unet3d): per rank, "
      "reader threads fill a prefetch buffer and the accelerator computes per batch. Reports "
      "per-epoch duration, throughput and accelerator utilization (AU) against the target.",
      {
          ParamSpec::ref("storage").help("the storage service holding the dataset"),
          ParamSpec::string_list("clients")
              .def("[gpu_servers]")
              .help("servers running the ranks, one rank per GPU in order"),
          ParamSpec::integer("ranks").def("0").min(0).max(1 << 24).help(
              "ranks (the first of the clients' GPUs); 0: every GPU of the clients"),
          ParamSpec::string("dlio").def("").help(
              "a DLIO training config (path relative to this file): the dataset, reader and "
              "train values come from it; `epochs` may still override its epochs"),
          // The custom-job defaults below are unet3d's (experiments/dlio/unet3d_h100.yaml,
          // MLPerf Storage v1.0 for H100) where it sets them, else DLIO's
          // (utils/config.py ConfigArguments).
          ParamSpec::integer("files").def("168").min(1).help("dataset files (num_files_train)"),
          ParamSpec::integer("samples_per_file")
              .def("1")
              .min(1)
              .help("samples per file (num_samples_per_file)"),
          ParamSpec::quantity("record_length", Dimension::kSize)
              .def("146600628B")
              .greater_than(0)
              .help("bytes per sample (record_length_bytes)"),
          ParamSpec::quantity("record_length_stdev", Dimension::kSize)
              .def("0B")
              .min(0)
              .help("standard deviation of a file's record length (0: all equal)"),
          ParamSpec::integer("batch_size").def("7").min(1).help("samples per step per rank"),
          ParamSpec::integer("read_threads")
              .def("4")
              .min(1)
              .max(4096)
              .help("reader coroutines per rank"),
          ParamSpec::integer("prefetch")
              .def("2")
              .min(1)
              .max(1 << 20)
              .help("prefetch buffer per rank, in batches (DLIO's prefetch_size, default 2)"),
          ParamSpec::time("computation_time")
              .def("0.323s")
              .min(0)
              .help("accelerator compute per step (H100 unet3d)"),
          ParamSpec::time("computation_time_stdev")
              .def("0s")
              .min(0)
              .help("standard deviation of the compute per step"),
          ParamSpec::integer("epochs").def("5").min(1).max(1000000).help("training epochs"),
          ParamSpec::real("au_target")
              .def("-1")
              .max(1)
              .help(
                  "AU needed to pass; -1: the DLIO config's metric.au, else 0.90 (DLIO's default)"),
          ParamSpec::integer("exclude_start_steps")
              .def("1")
              .min(0)
              .help("steps left out of AU at each epoch's start (DLIO's default 1)"),
          ParamSpec::integer("exclude_end_steps")
              .def("0")
              .min(0)
              .help("steps left out of AU at each epoch's end (DLIO's default 0)"),
          ParamSpec::integer("seed").def("123").min(0).help(
              "shuffle seed (DLIO train.seed, default 123)"),
          ParamSpec::boolean("shuffle").def("true").help("shuffle the samples every epoch"),
          ParamSpec::string("prefix").def("").help(
              "path prefix of the dataset files (default: data/<component name>)"),
      }};
}

STORMSIM_REGISTER_MODEL(Training);

Training::Training(const ComponentContext& ctx)
    : Component(ctx), params_(ctx.params), engine_(ctx.engine), prefix_(params_.string("prefix")) {
  if (prefix_.empty())
    prefix_ = fmt::format("data/{}", ctx.name);
  const std::string& dlio_path = params_.string("dlio");
  std::optional<double> cfg_au;
  if (!dlio_path.empty()) {
    const DlioConfig cfg = load_dlio_param(
        params_, "dlio",
        {"files", "samples_per_file", "record_length", "record_length_stdev", "batch_size",
         "read_threads", "prefetch", "computation_time", "computation_time_stdev", "seed"});
    dlio_source_ = cfg.source;
    dlio_unknown_keys_ = cfg.unknown_keys;
    if (!cfg.workflow.train)
      params_.fail("dlio", fmt::format("`{}` has workflow.train: False", cfg.source));
    job_.files = cfg.dataset.num_files_train;
    job_.samples_per_file = cfg.dataset.num_samples_per_file;
    job_.record_length = cfg.dataset.record_length_bytes;
    job_.record_length_stdev = cfg.dataset.record_length_bytes_stdev;
    job_.batch_size = cfg.reader.batch_size;
    job_.read_threads = std::max<std::int64_t>(1, cfg.reader.read_threads);
    job_.prefetch = cfg.reader.prefetch_size > 0 ? cfg.reader.prefetch_size : 2;
    job_.computation_time_s = cfg.train.computation_time_s;
    job_.computation_time_stdev_s = cfg.train.computation_time_stdev_s;
    job_.epochs = params_.is_default("epochs") ? cfg.train.epochs : params_.integer("epochs");
    job_.seed = static_cast<std::uint64_t>(cfg.train.seed);
    job_.shuffle = cfg.reader.sample_shuffle != "off" || cfg.reader.file_shuffle != "off";
    cfg_au = cfg.au_target;
    if (job_.files <= 0 || job_.samples_per_file <= 0 || job_.batch_size <= 0 ||
        job_.record_length <= 0 || job_.epochs <= 0)
      params_.fail("dlio", fmt::format("`{}`: the dataset, batch size and epochs must be positive",
                                       cfg.source));
  } else {
    job_.files = params_.integer("files");
    job_.samples_per_file = params_.integer("samples_per_file");
    job_.record_length = params_.quantity("record_length");
    job_.record_length_stdev = params_.quantity("record_length_stdev");
    job_.batch_size = params_.integer("batch_size");
    job_.read_threads = params_.integer("read_threads");
    job_.prefetch = params_.integer("prefetch");
    job_.computation_time_s = params_.time("computation_time").seconds();
    job_.computation_time_stdev_s = params_.time("computation_time_stdev").seconds();
    job_.epochs = params_.integer("epochs");
    job_.seed = static_cast<std::uint64_t>(params_.integer("seed"));
    job_.shuffle = params_.boolean("shuffle");
  }
  const double au = params_.real("au_target");
  job_.au_target = au >= 0 ? au : cfg_au.value_or(0.90);
  exclude_start_ = params_.integer("exclude_start_steps");
  exclude_end_ = params_.integer("exclude_end_steps");
}

Training::~Training() = default;

void Training::connect(Simulation& sim) {
  storage_ = &sim.find<storage::StorageService>(params_.string("storage"), params_, "storage");
  Cluster& cluster = sim.cluster(params_, "clients");
  const auto servers = cluster.select_servers(params_.string_list("clients"), params_, "clients");
  for (std::uint32_t s : servers) {
    const auto gpus = cluster.server_vertices(s, topo::VertexKind::kGpu);
    for (std::size_t i = 0; i < gpus.size(); ++i)
      clients_.push_back(storage::Client{cluster.memory_of(s), s, clients_.size()});
  }
  const std::int64_t want = params_.integer("ranks");
  if (want > static_cast<std::int64_t>(clients_.size()))
    params_.fail("ranks", fmt::format("{} ranks wanted but the clients have {} GPUs", want,
                                      clients_.size()));
  if (want > 0)
    clients_.resize(static_cast<std::size_t>(want));
  if (clients_.empty())
    params_.fail("clients", "the clients have no GPU to run a rank on");
  const auto ranks = static_cast<std::int64_t>(clients_.size());
  if (training::steps_per_epoch(job_.files, job_.samples_per_file, job_.batch_size, ranks) == 0)
    params_.fail(params_.string("dlio").empty() ? "files" : "dlio",
                 fmt::format("{} files x {} samples make no step of {} samples on {} ranks",
                             job_.files, job_.samples_per_file, job_.batch_size, ranks));
  rank_.resize(clients_.size());
  for (Rank& r : rank_) {
    r.slots = std::make_unique<sim::Resource>(engine_, job_.prefetch * job_.batch_size);
    r.arrived = std::make_unique<sim::Event>(engine_);
  }
  barrier_ = std::make_unique<sim::Signal>(engine_);
  sim::Rng& rng = engine_.rng(fmt::format("{}.dataset", name()));
  file_record_.resize(static_cast<std::size_t>(job_.files));
  for (double& len : file_record_) {
    len = job_.record_length;
    if (job_.record_length_stdev > 0)
      len = std::max(1.0, std::round(rng.normal(job_.record_length, job_.record_length_stdev)));
  }
  rank_au_.assign(static_cast<std::size_t>(job_.epochs), std::vector<double>(clients_.size(), 0));
}

void Training::start() {
  for (std::size_t r = 0; r < clients_.size(); ++r)
    engine_.spawn(run_rank(r), fmt::format("{}.rank{}", name(), r));
}

std::string Training::path(std::int64_t file) const {
  return fmt::format("{}/img_{}", prefix_, file);
}

void Training::fail(const std::string& what) {
  if (failed_++ == 0)
    first_error_ = what;
}

sim::Task<void> Training::barrier() {
  if (++arrived_ == clients_.size()) {
    arrived_ = 0;
    ++generation_;
    barrier_->notify_all();
    co_return;
  }
  co_await barrier_->wait();
}

sim::Task<void> Training::populate(std::size_t r) {
  const storage::Client& c = clients_[r];
  for (std::size_t f = r; f < file_record_.size(); f += clients_.size()) {
    const double size = file_record_[f] * static_cast<double>(job_.samples_per_file);
    try {
      const storage::FileId id = co_await storage_->create(c, path(static_cast<std::int64_t>(f)));
      co_await storage_->write(c, id, sim::Bytes(0), sim::Bytes(size));
      co_await storage_->close(c, id);
    } catch (const storage::StorageError& e) {
      fail(e.what());
    } catch (const sim::flow::TransferAborted& e) {
      fail(e.what());
    }
  }
}

sim::Task<void> Training::reader(std::size_t r) {
  Rank& rk = rank_[r];
  const storage::Client& c = clients_[r];
  while (true) {
    sim::Permit slot = co_await rk.slots->acquire(1);
    if (rk.next >= rk.samples.size())
      co_return;
    const std::int64_t sample = rk.samples[rk.next++];
    const std::int64_t file = sample / job_.samples_per_file;
    const double len = file_record_[static_cast<std::size_t>(file)];
    const double offset = static_cast<double>(sample % job_.samples_per_file) * len;
    try {
      const storage::FileId id = co_await storage_->open(c, path(file));
      co_await storage_->read(c, id, sim::Bytes(offset), sim::Bytes(len));
      co_await storage_->close(c, id);
      rk.bytes += len;
    } catch (const storage::StorageError& e) {
      fail(e.what());
    } catch (const sim::flow::TransferAborted& e) {
      fail(e.what());
    }
    // A failed read still hands its (empty) sample on, so training goes on.
    rk.ready.push_back(std::move(slot));
    rk.arrived->set();
  }
}

sim::Task<void> Training::trainer(std::size_t r, std::int64_t steps) {
  Rank& rk = rank_[r];
  sim::Rng& rng = engine_.rng(fmt::format("{}.compute", name()));
  const auto batch = static_cast<std::size_t>(job_.batch_size);
  for (std::int64_t s = 0; s < steps; ++s) {
    training::Step step;
    step.load_start = engine_.now().seconds();
    while (rk.ready.size() < batch) {
      rk.arrived->reset();
      co_await rk.arrived->wait();
    }
    for (std::size_t i = 0; i < batch; ++i)
      rk.ready.pop_front();  // frees the slots: the readers prefetch during compute
    step.compute_start = engine_.now().seconds();
    double compute = job_.computation_time_s;
    if (job_.computation_time_stdev_s > 0)
      compute = std::max(0.0, rng.normal(compute, job_.computation_time_stdev_s));
    co_await engine_.sleep(sim::Time::from_seconds(compute));
    step.end = engine_.now().seconds();
    rk.steps.push_back(step);
  }
}

sim::Task<void> Training::run_rank(std::size_t r) {
  Rank& rk = rank_[r];
  const auto ranks = static_cast<std::int64_t>(clients_.size());
  co_await populate(r);
  co_await barrier();
  if (r == 0)
    train_start_s_ = engine_.now().seconds();
  const std::int64_t steps =
      training::steps_per_epoch(job_.files, job_.samples_per_file, job_.batch_size, ranks);
  for (std::int64_t e = 0; e < job_.epochs; ++e) {
    rk.samples = training::rank_samples(job_.files, job_.samples_per_file, job_.batch_size, ranks,
                                        static_cast<std::int64_t>(r), e, job_.seed, job_.shuffle);
    rk.next = 0;
    rk.steps.clear();
    rk.bytes = 0;
    rk.epoch_start = engine_.now().seconds();
    std::vector<sim::Task<void>> tasks;
    for (std::int64_t t = 0; t < job_.read_threads; ++t)
      tasks.push_back(reader(r));
    tasks.push_back(trainer(r, steps));
    co_await sim::when_all(std::move(tasks));
    rk.ready.clear();
    rk.epoch_end = engine_.now().seconds();
    rank_au_[static_cast<std::size_t>(e)][r] = training::rank_epoch_au(
        rk.steps, rk.epoch_start, rk.epoch_end, exclude_start_, exclude_end_);
    if (epochs_.size() <= static_cast<std::size_t>(e))
      epochs_.push_back(Epoch{rk.epoch_start, rk.epoch_end});
    Epoch& ep = epochs_[static_cast<std::size_t>(e)];
    ep.start_s = std::min(ep.start_s, rk.epoch_start);
    ep.end_s = std::max(ep.end_s, rk.epoch_end);
    ep.samples += static_cast<double>(rk.steps.size() * job_.batch_size);
    ep.bytes += rk.bytes;
    for (const training::Step& s : rk.steps)
      ep.compute_s += s.end - s.compute_start;
    ep.au += rank_au_[static_cast<std::size_t>(e)][r] / static_cast<double>(ranks);
    co_await barrier();
  }
}

double Training::au() const {
  if (epochs_.empty())
    return 0;
  double sum = 0;
  for (const Epoch& e : epochs_)
    sum += e.au;
  return sum / static_cast<double>(epochs_.size());
}

nlohmann::json Training::metrics(sim::Time /*end*/) const {
  const auto ranks = static_cast<std::int64_t>(clients_.size());
  double mean_record = 0;
  for (double len : file_record_)
    mean_record += len;
  if (!file_record_.empty())
    mean_record /= static_cast<double>(file_record_.size());
  nlohmann::json per_epoch = nlohmann::json::array();
  double total_time = 0, total_bytes = 0, total_samples = 0, total_compute = 0;
  for (const Epoch& e : epochs_) {
    const double d = e.duration();
    total_time += d;
    total_bytes += e.bytes;
    total_samples += e.samples;
    total_compute += e.compute_s;
    per_epoch.push_back({{"start_s", e.start_s},
                         {"duration_s", d},
                         {"samples", e.samples},
                         {"bytes", e.bytes},
                         {"samples_per_s", d > 0 ? e.samples / d : 0.0},
                         {"bytes_per_s", d > 0 ? e.bytes / d : 0.0},
                         {"au", e.au}});
  }
  const double needed =
      training::needed_read_rate(ranks, job_.batch_size, mean_record, job_.computation_time_s);
  const double achieved = total_time > 0 ? total_bytes / total_time : 0;
  nlohmann::json m = {
      {"ranks", ranks},
      {"job",
       {{"files", job_.files},
        {"samples_per_file", job_.samples_per_file},
        {"record_length_bytes", job_.record_length},
        {"record_length_bytes_stdev", job_.record_length_stdev},
        {"batch_size", job_.batch_size},
        {"read_threads", job_.read_threads},
        {"prefetch_batches", job_.prefetch},
        {"computation_time_s", job_.computation_time_s},
        {"epochs", job_.epochs},
        {"steps_per_epoch",
         training::steps_per_epoch(job_.files, job_.samples_per_file, job_.batch_size, ranks)}}},
      {"dataset_bytes", std::accumulate(file_record_.begin(), file_record_.end(), 0.0) *
                            static_cast<double>(job_.samples_per_file)},
      {"train_start_s", train_start_s_},
      {"epochs", per_epoch},
      {"epochs_done", epochs_.size()},
      {"samples", total_samples},
      {"bytes", total_bytes},
      {"training_time_s", total_time},
      {"samples_per_s", total_time > 0 ? total_samples / total_time : 0.0},
      {"bytes_per_s", achieved},
      // Sum of compute over the epochs' wall time, every step counted (no exclusion).
      {"compute_fraction",
       total_time > 0 && ranks > 0 ? total_compute / static_cast<double>(ranks) / total_time : 0.0},
      {"au", au()},
      {"au_target", job_.au_target},
      {"passed", passed()},
      {"read_bandwidth", {{"needed_bytes_per_s", needed}, {"achieved_bytes_per_s", achieved}}},
      {"exclude_start_steps", exclude_start_},
      {"exclude_end_steps", exclude_end_},
      {"failed_operations", failed_}};
  if (failed_ > 0)
    m["first_error"] = first_error_;
  if (!dlio_source_.empty())
    m["dlio"] = {{"config", params_.string("dlio")}, {"ignored_keys", dlio_unknown_keys_}};
  return m;
}

std::vector<std::string> Training::summary(sim::Time /*end*/) const {
  std::vector<std::string> lines;
  if (epochs_.empty()) {
    lines.push_back("training: no epoch finished");
  } else {
    double t = 0, bytes = 0;
    for (const Epoch& e : epochs_) {
      t += e.duration();
      bytes += e.bytes;
    }
    lines.push_back(fmt::format(
        "AU {:.2f}% over {} epochs on {} ranks ({} against {:.0f}%): {:.1f} s training, {}",
        100 * au(), epochs_.size(), clients_.size(), passed() ? "PASS" : "FAIL",
        100 * job_.au_target, t, sim::to_string(sim::BytesPerSec(t > 0 ? bytes / t : 0))));
  }
  if (failed_ > 0)
    lines.push_back(fmt::format("{} operations failed; first: {}", failed_, first_error_));
  for (const std::string& k : dlio_unknown_keys_)
    lines.push_back(k);
  return lines;
}

}  // namespace stormsim::models

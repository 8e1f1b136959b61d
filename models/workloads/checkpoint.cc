#include "models/workloads/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "models/devices/gpu.h"
#include "models/devices/nvme.h"
#include "models/failures/failure_analysis.h"
#include "models/failures/storage_faults.h"
#include "models/registry.h"
#include "models/simulation.h"
#include "models/storage/service.h"
#include "models/storage/tier0/tier0.h"
#include "models/workloads/dlio.h"
#include "sim/flow/flow_system.h"
#include "sim/when.h"
#include "topologies/analysis.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

// MLPerf Storage v2.0/v3.0 checkpointing runs each model at one TP x PP and
// ZeRO stage (../shared/validation/CASES.md V1, from the MLCommons storage
// rules and the DLIO configs in experiments/dlio/); DP follows from the rank
// count.
struct MlperfParallelism {
  const char* model;
  int tp, pp, zero_stage;
};
constexpr std::array<MlperfParallelism, 4> kMlperf{{
    {"llama3-8b", 1, 1, 3},
    {"llama3-70b", 8, 1, 3},
    {"llama3-405b", 8, 32, 1},
    {"llama3-1t", 8, 64, 1},
}};

constexpr std::array<const char*, 4> kMetadataOps{"create", "open", "fsync", "close"};
enum MetaOp : std::size_t { kCreate, kOpen, kFsync, kClose };

Checkpoint::Strategy parse_strategy(const std::string& s) {
  if (s == "async")
    return Checkpoint::Strategy::kAsync;
  if (s == "tiered")
    return Checkpoint::Strategy::kTiered;
  if (s == "peer_memory")
    return Checkpoint::Strategy::kPeerMemory;
  return Checkpoint::Strategy::kSync;
}

std::string_view strategy_name(Checkpoint::Strategy s) {
  switch (s) {
    case Checkpoint::Strategy::kSync:
      return "sync";
    case Checkpoint::Strategy::kAsync:
      return "async";
    case Checkpoint::Strategy::kTiered:
      return "tiered";
    case Checkpoint::Strategy::kPeerMemory:
      return "peer_memory";
  }
  return "sync";
}

// The non-negative values (negative: not done), sorted.
std::vector<float> sorted_done(const std::vector<float>& values) {
  std::vector<float> v;
  v.reserve(values.size());
  for (float x : values) {
    if (x >= 0)
      v.push_back(x);
  }
  std::sort(v.begin(), v.end());
  return v;
}

// The nearest-rank q-quantile of sorted, non-empty values.
double nearest_rank(const std::vector<float>& v, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return static_cast<double>(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]);
}

// Nearest-rank percentiles of the values done.
nlohmann::json percentiles(const std::vector<float>& values) {
  const std::vector<float> v = sorted_done(values);
  if (v.empty())
    return nullptr;
  return {{"p50", nearest_rank(v, 0.50)},
          {"p99", nearest_rank(v, 0.99)},
          {"max", static_cast<double>(v.back())}};
}

// The same values as an empirical CDF at the 101 quantiles 0, 0.01 .. 1, by
// the nearest-rank rule percentiles() uses (so p50, p99 and max agree).
nlohmann::json quantiles(const std::vector<float>& values) {
  const std::vector<float> v = sorted_done(values);
  if (v.empty())
    return nullptr;
  nlohmann::json q = nlohmann::json::array(), s = nlohmann::json::array();
  for (int i = 0; i <= 100; ++i) {
    const double p = i / 100.0;
    q.push_back(p);
    s.push_back(nearest_rank(v, p));
  }
  return {{"quantile", std::move(q)}, {"seconds", std::move(s)}};
}

// Series in time_series.bottlenecks.
constexpr std::size_t kReportedBottlenecks = 8;
// Series kept while sampling; the ones with the least bottleneck time go
// when there are twice as many.
constexpr std::size_t kKeptBottlenecks = 256;

}  // namespace

ModelSpec Checkpoint::spec() {
  std::string models = "model: one of ";
  for (const auto& m : llm::model_names())
    models += m + ", ";
  models += "or `custom` (then layers, hidden, ffn, heads, kv_heads and vocab)";
  return ModelSpec{
      "checkpoint",
      "A training job's periodic checkpoints (sync, async, tiered or peer_memory) of a "
      "transformer's state laid out as DLIO writes it, then the restore read storm. Reports "
      "stall, time to durable, MLPerf duration and throughput, per-rank percentiles, tier "
      "bandwidth and bottlenecks.",
      {
          ParamSpec::ref("storage").help(
              "the storage service written to (a tier0 service for strategy: tiered)"),
          ParamSpec::enumeration("strategy", {"sync", "async", "tiered", "peer_memory"})
              .def("sync")
              .help("sync: stall until durable; async: stall for the GPU-to-host copy only; "
                    "tiered: stall until tier0 acknowledges; peer_memory: stall for the copy, "
                    "then copy to a peer server's memory"),
          ParamSpec::string("model").def("llama3-70b").help(models),
          ParamSpec::integer("layers").def("0").min(0).help("model: custom: transformer blocks"),
          ParamSpec::integer("hidden").def("0").min(0).help("model: custom: hidden size"),
          ParamSpec::integer("ffn").def("0").min(0).help("model: custom: FFN hidden size"),
          ParamSpec::integer("heads").def("0").min(0).help("model: custom: attention heads"),
          ParamSpec::integer("kv_heads").def("0").min(0).help("model: custom: key/value heads"),
          ParamSpec::integer("vocab").def("0").min(0).help("model: custom: vocabulary size"),
          ParamSpec::string("precision")
              .def("dlio")
              .help("bytes per parameter: dlio (14: fp16 weights + fp32 Adam), fp32_adam (12), "
                    "mixed_adam_grads (16)"),
          ParamSpec::integer("tp").def("0").min(0).max(1 << 20).help(
              "tensor parallelism; 0: MLPerf Storage's for a catalogue model, else 1"),
          ParamSpec::integer("pp").def("0").min(0).max(1 << 20).help(
              "pipeline parallelism; 0: MLPerf Storage's for a catalogue model, else 1"),
          ParamSpec::integer("dp").def("0").min(0).max(1 << 24).help(
              "data parallelism; 0: every GPU of the clients / (tp x pp)"),
          ParamSpec::integer("zero_stage")
              .def("-1")
              .min(-1)
              .max(3)
              .help("ZeRO stage 0-3; -1: MLPerf Storage's for a catalogue model, else 0"),
          ParamSpec::string("dlio").def("").help(
              "a DLIO workload config (path relative to this file): model, precision, "
              "parallelism, count, interval and fsync come from it"),
          ParamSpec::string_list("clients")
              .def("[gpu_servers]")
              .help("servers running the ranks, one rank per GPU in order"),
          ParamSpec::integer("count").def("1").min(1).max(100000).help("checkpoints to take"),
          ParamSpec::time("interval").def("30min").min(0).help("training time between checkpoints"),
          ParamSpec::time("start").def("0s").min(0).help("when the first checkpoint starts"),
          ParamSpec::boolean("fsync").def("true").help("fsync every file before closing it"),
          ParamSpec::boolean("restore").def("true").help(
              "after the last checkpoint, every rank reads its shard back (the read storm)"),
          ParamSpec::string("failed_server")
              .def("")
              .help("a client server whose local state (host memory, tier0) is lost before "
                    "the restore"),
          ParamSpec::string("fail_storage_server")
              .def("")
              .help("a server of the (durable) storage service lost during the run; each "
                    "checkpoint's result then says whether it survived, was degraded or lost"),
          ParamSpec::time("fail_storage_at")
              .def("0s")
              .min(0)
              .help("when that server is lost, after the first checkpoint starts"),
          ParamSpec::boolean("rebuild").def("true").help(
              "after fail_storage_server, the surviving servers re-protect what it held "
              "(rebuild traffic competing with the checkpoints)"),
          ParamSpec::quantity("rebuild_rate", Dimension::kDataRate)
              .def("0GB/s")
              .min(0)
              .help("cap on each surviving server's rebuild stream (0: none)"),
          ParamSpec::integer("persist_every")
              .def("1")
              .min(0)
              .help("peer_memory: write every n-th checkpoint to storage too (0: never)"),
          ParamSpec::integer("peer_offset")
              .def("1")
              .min(1)
              .help("peer_memory: server i copies to client server i + peer_offset (mod n)"),
          ParamSpec::string("folder").def("").help(
              "path prefix of the files (default: checkpoints/<component name>)"),
          ParamSpec::time("sample_period")
              .def("1s")
              .positive()
              .help("period of the per-tier bandwidth series"),
          ParamSpec::string("failures")
              .def("")
              .help(
                  "a failure_analysis component: once the checkpoints (and the restore) are done, "
                  "it takes their measured stall, time to durable and restore time"),
          ParamSpec::boolean("attribute")
              .def("true")
              .help("attribute bottlenecks per phase and compute the physical limit (max "
                    "flow); turn off for the largest topologies"),
      }};
}

STORMSIM_REGISTER_MODEL(Checkpoint);

Checkpoint::Checkpoint(const ComponentContext& ctx)
    : Component(ctx),
      params_(ctx.params),
      engine_(ctx.engine),
      strategy_(parse_strategy(ctx.params.string("strategy"))),
      folder_(ctx.params.string("folder")),
      count_(ctx.params.integer("count")),
      interval_(ctx.params.time("interval")),
      start_at_(ctx.params.time("start")),
      sample_period_(ctx.params.time("sample_period")),
      fsync_(ctx.params.boolean("fsync")),
      restore_enabled_(ctx.params.boolean("restore")),
      attribute_(ctx.params.boolean("attribute")),
      persist_every_(ctx.params.integer("persist_every")),
      failed_server_name_(ctx.params.string("failed_server")) {
  if (folder_.empty())
    folder_ = fmt::format("checkpoints/{}", ctx.name);
  const std::string& dlio_path = params_.string("dlio");
  std::string model_name = params_.string("model");
  if (!dlio_path.empty()) {
    const DlioConfig cfg =
        load_dlio_param(params_, "dlio",
                        {"model", "precision", "tp", "pp", "zero_stage", "count", "interval",
                         "fsync", "layers", "hidden", "ffn", "heads", "kv_heads", "vocab"});
    dlio_unknown_keys_ = cfg.unknown_keys;
    if (!cfg.transformer)
      params_.fail("dlio", fmt::format("`{}` describes no transformer (model.type: {}); the "
                                       "checkpoint workload needs one",
                                       cfg.source, cfg.model_type));
    if (!cfg.workflow.checkpoint)
      params_.fail("dlio", fmt::format("`{}` has workflow.checkpoint: False", cfg.source));
    model_ = *cfg.transformer;
    precision_ = cfg.precision;
    parallelism_ = cfg.parallelism;
    parallelism_.dp = 0;  // from the GPUs
    if (cfg.checkpoint.num_checkpoints_write > 0)
      count_ = cfg.checkpoint.num_checkpoints_write;
    if (cfg.checkpoint.time_between_checkpoints_s >= 0)
      interval_ = sim::Time::from_seconds(cfg.checkpoint.time_between_checkpoints_s);
    fsync_ = cfg.checkpoint.fsync;
    if (!cfg.checkpoint.folder.empty() && params_.is_default("folder"))
      folder_ = cfg.checkpoint.folder;
  } else if (model_name == "custom") {
    model_.name = "custom";
    for (const char* key : {"layers", "hidden", "ffn", "heads", "kv_heads", "vocab"}) {
      if (params_.integer(key) <= 0)
        params_.fail(key, fmt::format("model: custom needs `{}` (a positive integer)", key));
    }
    model_.layers = params_.integer("layers");
    model_.hidden = params_.integer("hidden");
    model_.ffn = params_.integer("ffn");
    model_.heads = params_.integer("heads");
    model_.kv_heads = params_.integer("kv_heads");
    model_.vocab = params_.integer("vocab");
    try {
      llm::validate(model_);
    } catch (const std::invalid_argument& e) {
      params_.fail("model", e.what());
    }
  } else {
    const llm::Transformer* m = llm::find_model(model_name);
    if (m == nullptr)
      params_.fail("model", fmt::format("unknown model `{}`; {}", model_name,
                                        spec().find("model")->help_text));
    for (const char* key : {"layers", "hidden", "ffn", "heads", "kv_heads", "vocab"}) {
      if (!params_.is_default(key))
        params_.fail(key, fmt::format("`{}` is for model: custom; `{}` fixes it", key, m->name));
    }
    model_ = *m;
    parallelism_ = {1, 1, 0, 0};
    for (const auto& mp : kMlperf) {
      if (mp.model == m->name)
        parallelism_ = {mp.tp, mp.pp, 0, mp.zero_stage};
    }
  }
  if (dlio_path.empty()) {
    try {
      precision_ = llm::precision_preset(params_.string("precision"));
    } catch (const std::invalid_argument& e) {
      params_.fail("precision", e.what());
    }
    if (model_.name == "custom")
      parallelism_ = {1, 1, 0, 0};
  }
  if (params_.integer("tp") > 0)
    parallelism_.tp = static_cast<int>(params_.integer("tp"));
  if (params_.integer("pp") > 0)
    parallelism_.pp = static_cast<int>(params_.integer("pp"));
  if (params_.integer("zero_stage") >= 0)
    parallelism_.zero_stage = static_cast<int>(params_.integer("zero_stage"));
  parallelism_.dp = static_cast<int>(params_.integer("dp"));
}

Checkpoint::~Checkpoint() = default;

void Checkpoint::connect(Simulation& sim) {
  storage_ = &sim.find<storage::StorageService>(params_.string("storage"), params_, "storage");
  tier0_ = dynamic_cast<storage::Tier0*>(storage_);
  if (strategy_ == Strategy::kTiered && tier0_ == nullptr)
    params_.fail("storage", fmt::format("strategy: tiered lands on a tier0 service; `{}` is not "
                                        "one (add a tier0 component whose durable: is `{}`)",
                                        storage_->name(), storage_->name()));
  if (strategy_ != Strategy::kTiered && tier0_ != nullptr)
    params_.fail("strategy",
                 fmt::format("`{}` is a tier0 service: use strategy: tiered", storage_->name()));
  if (!params_.string("failures").empty())
    failures_analysis_ =
        &sim.find<failures::FailureAnalysis>(params_.string("failures"), params_, "failures");
  cluster_ = &sim.cluster(params_, "clients");
  servers_ = cluster_->select_servers(params_.string_list("clients"), params_, "clients");

  struct Slot {
    std::uint32_t server;
    topo::Vertex gpu;
  };
  std::vector<Slot> slots;
  for (std::uint32_t s : servers_) {
    const auto gpus = cluster_->server_vertices(s, topo::VertexKind::kGpu);
    if (gpus.empty())
      params_.fail("clients", fmt::format("server `{}` has no GPU to run a rank on",
                                          cluster_->topology().servers()[s].name));
    for (topo::Vertex g : gpus)
      slots.push_back({s, g});
  }
  const std::int64_t mp = std::int64_t{parallelism_.tp} * parallelism_.pp;
  const auto gpus = static_cast<std::int64_t>(slots.size());
  if (parallelism_.dp == 0) {
    if (gpus % mp != 0 || gpus < mp)
      params_.fail("dp", fmt::format("{} GPUs on the clients do not divide into TP {} x PP {}; "
                                     "set dp, or clients",
                                     gpus, parallelism_.tp, parallelism_.pp));
    parallelism_.dp = static_cast<int>(gpus / mp);
  }
  if (parallelism_.ranks() > gpus)
    params_.fail("dp", fmt::format("TP {} x PP {} x DP {} = {} ranks, but the clients have {} "
                                   "GPUs",
                                   parallelism_.tp, parallelism_.pp, parallelism_.dp,
                                   parallelism_.ranks(), gpus));
  try {
    layout_ = llm::checkpoint_layout(model_, precision_, parallelism_);
  } catch (const std::invalid_argument& e) {
    params_.fail(params_.string("dlio").empty() ? "model" : "dlio", e.what());
  }

  if (!failed_server_name_.empty()) {
    const auto f = cluster_->select_servers({failed_server_name_}, params_, "failed_server");
    if (f.size() != 1 || std::find(servers_.begin(), servers_.end(), f[0]) == servers_.end())
      params_.fail("failed_server",
                   fmt::format("`{}` is not one of the client servers", failed_server_name_));
    failed_server_ = f[0];
  }
  if (!params_.string("fail_storage_server").empty()) {
    const storage::StorageService& durable = tier0_ ? tier0_->durable_tier() : *storage_;
    const auto f = cluster_->select_servers({params_.string("fail_storage_server")}, params_,
                                            "fail_storage_server");
    if (f.size() != 1 || std::find(durable.servers().begin(), durable.servers().end(), f[0]) ==
                             durable.servers().end())
      params_.fail("fail_storage_server",
                   fmt::format("`{}` is not a server of `{}`",
                               params_.string("fail_storage_server"), durable.name()));
    failed_storage_ = f[0];
  }
  std::map<std::uint32_t, std::size_t> position;
  for (std::size_t i = 0; i < servers_.size(); ++i)
    position[servers_[i]] = i;
  const auto offset = static_cast<std::size_t>(params_.integer("peer_offset"));
  if (strategy_ == Strategy::kPeerMemory && servers_.size() < 2)
    params_.fail("strategy", "peer_memory needs at least two client servers");
  if (strategy_ == Strategy::kPeerMemory && offset % servers_.size() == 0)
    params_.fail("peer_offset", fmt::format("an offset of {} over {} servers is the server "
                                            "itself",
                                            offset, servers_.size()));

  ranks_.resize(static_cast<std::size_t>(parallelism_.ranks()));
  for (std::size_t r = 0; r < ranks_.size(); ++r) {
    Rank& rank = ranks_[r];
    rank.server = slots[r].server;
    rank.gpu_vertex = slots[r].gpu;
    rank.peer = servers_[(position[rank.server] + offset) % servers_.size()];
    const auto [gpu, index] = cluster_->gpu(rank.gpu_vertex);
    rank.gpu = gpu;
    rank.gpu_index = index;
    rank.shard = static_cast<std::uint32_t>(r);
  }

  records_.resize(static_cast<std::size_t>(count_));
  for (auto& rec : records_) {
    rec.rank_stall_s.assign(ranks_.size(), -1.0f);
    rec.rank_durable_s.assign(ranks_.size(), -1.0f);
    blocked_.push_back(std::make_unique<sim::Event>(engine_));
    durable_.push_back(std::make_unique<sim::Event>(engine_));
  }
  restore_.rank_s.assign(ranks_.size(), -1.0f);
  restored_ = std::make_unique<sim::Event>(engine_);
  build_tiers();

  std::vector<const Checkpoint*> all;
  for (const auto& c : sim.components()) {
    if (const auto* ck = dynamic_cast<const Checkpoint*>(c.get()))
      all.push_back(ck);
  }
  if (all.size() >= 2 && all.back() == this)
    siblings_ = std::move(all);
}

storage::Client Checkpoint::client_of(std::size_t r) const {
  return storage::Client{cluster_->memory_of(ranks_[r].server), ranks_[r].server, r};
}

std::string Checkpoint::path(std::size_t k, const llm::CheckpointFile& f) const {
  return fmt::format("{}/global_step{}/{}", folder_, k + 1, f.name);
}

// ---- tiers ----

void Checkpoint::build_tiers() {
  const topo::Topology& topo = cluster_->topology();
  std::vector<std::uint8_t> client(topo.servers().size(), 0);
  for (std::uint32_t s : servers_)
    client[s] = 1;
  const storage::StorageService& durable = tier0_ ? tier0_->durable_tier() : *storage_;
  std::vector<std::uint8_t> store(topo.servers().size(), 0);
  for (std::uint32_t s : durable.servers())
    store[s] = 1;
  std::vector<std::uint8_t> rank_gpu(topo.vertex_count(), 0);
  for (const Rank& r : ranks_)
    rank_gpu[r.gpu_vertex] = 1;

  Tier copy{"gpu_host_copy", {}, 0, 0, {}, 0};
  Tier client_nics{"client_nics", {}, 0, 0, {}, 0};
  Tier storage_nics{"storage_nics", {}, 0, 0, {}, 0};
  topo::Network& net = cluster_->network();
  for (topo::LinkId l = 0; l < topo.directed_link_count(); ++l) {
    const topo::Vertex a = topo.link_source(l), b = topo.link_target(l);
    const auto add = [&](Tier& t) {
      t.constraints.push_back(net.constraint(l));
      t.capacity += topo.capacity(l).value();
    };
    if (rank_gpu[a] && topo.server_of(b) == topo.server_of(a) &&
        topo.kind(b) != topo::VertexKind::kGpu)
      add(copy);
    const topo::Vertex nic = topo.kind(a) == topo::VertexKind::kNic ? a : b;
    const topo::Vertex other = nic == a ? b : a;
    if (topo.kind(nic) == topo::VertexKind::kNic && topo.tier(other) > 0) {
      const std::uint32_t s = topo.server_of(nic);
      if (client[s])
        add(client_nics);
      else if (store[s])
        add(storage_nics);
    }
  }
  // Both directions of the NIC links count (writes one way, the restore the
  // other); the capacity is that of one direction.
  client_nics.capacity /= 2;
  storage_nics.capacity /= 2;
  const auto drives = [](const storage::StorageService& svc, const char* name) {
    Tier t{name, {}, 0, 0, {}, 0};
    for (std::size_t i = 0; i < svc.servers().size(); ++i) {
      for (const auto& [nvme, index] : svc.drives_of(i).drives) {
        t.constraints.push_back(nvme->media(index, true));
        t.constraints.push_back(nvme->media(index, false));
        t.capacity += svc.cluster().flows().capacity(nvme->media(index, true)).value();
      }
    }
    return t;
  };
  tiers_.push_back(std::move(copy));
  tiers_.push_back(std::move(client_nics));
  if (tier0_ != nullptr)
    tiers_.push_back(drives(*tier0_, "tier0_drives"));
  tiers_.push_back(std::move(storage_nics));
  tiers_.push_back(drives(durable, "storage_drives"));
}

sim::Task<void> Checkpoint::sample() {
  sim::flow::FlowSystem& flows = cluster_->flows();
  const auto cumulative = [&](const Tier& t) {
    double b = 0;
    for (auto c : t.constraints)
      b += flows.usage(c).bytes.value();
    return b;
  };
  for (Tier& t : tiers_)
    t.last = cumulative(t);
  start_bottleneck_sampling();
  const double dt = sample_period_.seconds();
  while (active_ > 0) {
    co_await engine_.sleep(sample_period_);
    sample_t_.push_back(engine_.now().seconds());
    for (Tier& t : tiers_) {
      const double now = cumulative(t);
      const double rate = (now - t.last) / dt;
      t.rate.push_back(rate);
      (restoring_ ? t.restore_bytes : t.bytes) += now - t.last;
      if (!restoring_)
        t.peak = std::max(t.peak, rate);
      t.last = now;
      if (engine_.tracing())
        trace_counter(fmt::format("tier {} bytes/s", t.name), rate);
    }
    sample_bottlenecks(dt);
  }
  sampler_running_ = false;
}

void Checkpoint::start_bottleneck_sampling() {
  if (!attribute_)
    return;
  const auto& flows = cluster_->flows();
  bottleneck_last_.resize(flows.constraint_count());
  for (sim::flow::ConstraintId c = 0; c < flows.constraint_count(); ++c)
    bottleneck_last_[c] = flows.usage(c);
}

// A constraint's series starts at the sample in which it first limited a
// flow (earlier samples read 0): tracking every constraint from the start
// would cost memory in proportion to the whole fabric.
void Checkpoint::sample_bottlenecks(double dt) {
  if (!attribute_)
    return;
  const auto& flows = cluster_->flows();
  const std::size_t n = flows.constraint_count();
  bottleneck_last_.resize(n);
  bottleneck_row_.resize(n, -1);
  const std::size_t sample = sample_t_.size() - 1;
  for (sim::flow::ConstraintId c = 0; c < n; ++c) {
    const auto u = flows.usage(c);
    auto& last = bottleneck_last_[c];
    const double limited = (u.bottleneck_time - last.bottleneck_time).seconds();
    const double bytes = u.bytes.value() - last.bytes.value();
    last = u;
    if (bottleneck_row_[c] < 0) {
      if (limited <= 0)
        continue;
      bottleneck_row_[c] = static_cast<std::int32_t>(bottleneck_series_.size());
      bottleneck_series_.push_back({c, 0, 0, std::vector<float>(sample, 0.0f)});
    }
    BottleneckSeries& b = bottleneck_series_[static_cast<std::size_t>(bottleneck_row_[c])];
    const double cap = flows.capacity(c).value();
    b.capacity = std::max(b.capacity, cap);
    b.bottleneck_s += limited;
    b.utilization.push_back(
        cap > 0 && dt > 0 ? static_cast<float>(std::clamp(bytes / (cap * dt), 0.0, 1.0)) : 0.0f);
  }
  if (bottleneck_series_.size() >= 2 * kKeptBottlenecks) {
    std::vector<BottleneckSeries> kept;
    for (std::size_t i : top_bottlenecks(kKeptBottlenecks))
      kept.push_back(std::move(bottleneck_series_[i]));
    std::fill(bottleneck_row_.begin(), bottleneck_row_.end(), -1);
    bottleneck_series_ = std::move(kept);
    for (std::size_t i = 0; i < bottleneck_series_.size(); ++i)
      bottleneck_row_[bottleneck_series_[i].constraint] = static_cast<std::int32_t>(i);
  }
  if (engine_.tracing()) {
    for (std::size_t i : top_bottlenecks(kReportedBottlenecks)) {
      const BottleneckSeries& b = bottleneck_series_[i];
      trace_counter(fmt::format("bottleneck {} utilization", flows.name(b.constraint)),
                    b.utilization.back());
    }
  }
}

std::vector<std::size_t> Checkpoint::top_bottlenecks(std::size_t n) const {
  std::vector<std::size_t> top(bottleneck_series_.size());
  for (std::size_t i = 0; i < top.size(); ++i)
    top[i] = i;
  const auto more = [&](std::size_t i, std::size_t j) {
    const BottleneckSeries &a = bottleneck_series_[i], &b = bottleneck_series_[j];
    return a.bottleneck_s != b.bottleneck_s ? a.bottleneck_s > b.bottleneck_s
                                            : a.constraint < b.constraint;
  };
  const std::size_t k = std::min(n, top.size());
  std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(k), top.end(), more);
  top.resize(k);
  return top;
}

// ---- trace records ----

Checkpoint::RankSlice::RankSlice(const Checkpoint& c, std::size_t r, std::string_view what)
    : c_(c), r_(r), what_(what), open_(c.engine_.tracing()) {
  if (open_)
    c_.trace_rank(sim::Record::Kind::kBegin, r_, what_);
}

void Checkpoint::RankSlice::end() {
  if (open_)
    c_.trace_rank(sim::Record::Kind::kEnd, r_, what_);
  open_ = false;
}

void Checkpoint::trace_rank(sim::Record::Kind kind, std::size_t r, std::string_view what) const {
  if (engine_.tracing())
    engine_.record({kind, engine_.now(), "rank", what, 0.0, name(), static_cast<std::int64_t>(r),
                    static_cast<std::int64_t>(ranks_.size())});
}

void Checkpoint::trace_job(sim::Record::Kind kind, std::string_view track,
                           std::string_view what) const {
  if (engine_.tracing())
    engine_.record({kind, engine_.now(), track, what, 0.0, name()});
}

void Checkpoint::trace_instant(std::string_view what) const {
  if (engine_.tracing())
    engine_.record({sim::Record::Kind::kInstant, engine_.now(), "", what, 0.0, name()});
}

void Checkpoint::trace_counter(std::string_view counter, double value) const {
  if (engine_.tracing())
    engine_.record({sim::Record::Kind::kCounter, engine_.now(), "", counter, value, name()});
}

// The sampler runs while a checkpoint or the restore is under way, and
// sleeps through the training in between.
void Checkpoint::activity(int delta) {
  active_ += delta;
  if (active_ > 0 && !sampler_running_) {
    sampler_running_ = true;
    engine_.spawn(sample(), fmt::format("{}.sampler", name()));
  }
}

// ---- bottleneck attribution ----

std::vector<sim::flow::FlowSystem::Usage> Checkpoint::snapshot() const {
  std::vector<sim::flow::FlowSystem::Usage> out;
  if (!attribute_)
    return out;
  const auto& flows = cluster_->flows();
  out.reserve(flows.constraint_count());
  for (sim::flow::ConstraintId c = 0; c < flows.constraint_count(); ++c)
    out.push_back(flows.usage(c));
  return out;
}

Checkpoint::Phase Checkpoint::close_phase(std::string name, sim::Time start,
                                          const std::vector<sim::flow::FlowSystem::Usage>& before,
                                          double bytes, double physical_limit) const {
  Phase p{std::move(name), start, engine_.now(), bytes, physical_limit, nlohmann::json::array()};
  if (!attribute_)
    return p;
  const auto& flows = cluster_->flows();
  struct Row {
    sim::flow::ConstraintId c;
    double bytes;
    double seconds;
  };
  std::vector<Row> rows;
  for (sim::flow::ConstraintId c = 0; c < flows.constraint_count(); ++c) {
    const auto u = flows.usage(c);
    const bool known = c < before.size();
    const double t =
        (u.bottleneck_time - (known ? before[c].bottleneck_time : sim::Time{})).seconds();
    if (t > 0)
      rows.push_back({c, u.bytes.value() - (known ? before[c].bytes.value() : 0.0), t});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.seconds != b.seconds ? a.seconds > b.seconds : a.c < b.c;
  });
  const double window = (p.end - p.start).seconds();
  for (std::size_t i = 0; i < rows.size() && i < 5; ++i) {
    const double cap = flows.capacity(rows[i].c).value();
    p.bottlenecks.push_back(
        {{"constraint", flows.name(rows[i].c)},
         {"bottleneck_s", rows[i].seconds},
         {"bytes", rows[i].bytes},
         {"utilization", window > 0 && cap > 0 ? rows[i].bytes / (cap * window) : 0.0}});
  }
  return p;
}

// The topology's max flow between the groups a save (or restore) moves data
// between: the clients' host memory and the drives of the service written
// (tier0's for tiered). Computed once each way.
double Checkpoint::physical_limit(bool restore) {
  if (!attribute_)
    return 0;
  auto& cache = restore ? limit_restore_ : limit_save_;
  if (cache)
    return *cache;
  const topo::Topology& topo = cluster_->topology();
  std::vector<topo::Vertex> memory, drives;
  for (std::uint32_t s : servers_)
    memory.push_back(cluster_->memory_of(s));
  const storage::StorageService& target = *storage_;
  for (std::size_t i = 0; i < target.servers().size(); ++i) {
    for (const auto& [nvme, index] : target.drives_of(i).drives)
      drives.push_back(nvme->vertex(index));
  }
  double limit = 0;
  if (!memory.empty() && !drives.empty()) {
    limit = restore ? topo::max_flow(topo, drives, memory).value()
                    : topo::max_flow(topo, memory, drives).value();
  }
  cache = limit;
  return limit;
}

// ---- the job ----

void Checkpoint::start() {
  engine_.spawn(drive(), fmt::format("{}.driver", name()));
  if (failed_storage_)
    engine_.spawn(storage_fault(), fmt::format("{}.storage_fault", name()));
}

// The storage server is lost: the data on it is gone. Transfers already
// under way to it run on (the flow model cannot cut them), so the verdict
// counts every copy or fragment placed there, before or after the fault.
sim::Task<void> Checkpoint::storage_fault() {
  co_await engine_.sleep(start_at_ + params_.time("fail_storage_at"));
  storage_fault_at_ = engine_.now();
  if (engine_.tracing())
    trace_instant(fmt::format("storage server {} lost",
                              cluster_->topology().servers()[*failed_storage_].name));
  if (!params_.boolean("rebuild"))
    co_return;
  // What the lost server held: every byte written to its drives so far.
  const storage::StorageService& durable = tier0_ ? tier0_->durable_tier() : *storage_;
  std::vector<std::size_t> survivors;
  std::size_t lost_index = 0;
  for (std::size_t i = 0; i < durable.servers().size(); ++i) {
    if (durable.servers()[i] == *failed_storage_)
      lost_index = i;
    else
      survivors.push_back(i);
  }
  for (const auto& [nvme, index] : durable.drives_of(lost_index).drives)
    rebuild_.lost_bytes += cluster_->flows().usage(nvme->media(index, true)).bytes.value();
  // The protection's shape, from any file the service holds.
  failures::ProtectionShape shape{1, 0};
  for (const Rank& rank : ranks_) {
    if (layout_.ranks[rank.shard].files.empty())
      continue;
    const std::string p = path(0, layout_.ranks[rank.shard].files.front());
    if (durable.find(p) != nullptr) {
      if (const auto impact = durable.loss_impact(durable.id_of(p), {}))
        shape = {impact->data_fragments, impact->redundancy};
    }
    break;
  }
  const failures::Rebuild traffic = failures::rebuild_traffic(shape, rebuild_.lost_bytes);
  rebuild_.read_bytes = traffic.read_bytes;
  rebuild_.write_bytes = traffic.write_bytes;
  rebuild_.start = engine_.now();
  rebuild_.end = engine_.now();
  if (survivors.empty() || traffic.read_bytes <= 0)
    co_return;
  const auto n = static_cast<double>(survivors.size());
  rebuild_.shares = survivors.size();
  for (std::size_t i = 0; i < survivors.size(); ++i)
    engine_.spawn(rebuild_share(survivors[i], survivors[(i + 1) % survivors.size()],
                                traffic.read_bytes / n, traffic.write_bytes / n),
                  fmt::format("{}.rebuild{}", name(), i));
}

sim::Task<void> Checkpoint::rebuild_share(std::size_t from, std::size_t to, double read_bytes,
                                          double write_bytes) {
  const storage::StorageService& durable = tier0_ ? tier0_->durable_tier() : *storage_;
  const auto& src = durable.drives_of(from);
  const auto& dst = durable.drives_of(to);
  MoveOptions o;
  if (params_.quantity("rebuild_rate") > 0)
    o.max_rate =
        sim::BytesPerSec(params_.quantity("rebuild_rate") / static_cast<double>(src.drives.size()));
  std::vector<sim::Task<void>> reads, writes;
  for (const auto& [nvme, index] : src.drives)
    reads.push_back(nvme->read_to(
        dst.memory, index, sim::Bytes(read_bytes / static_cast<double>(src.drives.size())), {}, o));
  co_await sim::when_all(std::move(reads));
  for (const auto& [nvme, index] : dst.drives)
    writes.push_back(
        nvme->write_from(dst.memory, index,
                         sim::Bytes(write_bytes / static_cast<double>(dst.drives.size())), {}, o));
  co_await sim::when_all(std::move(writes));
  if (++rebuild_.done == rebuild_.shares)
    rebuild_.end = engine_.now();
}

std::string Checkpoint::verdict(std::size_t k) const {
  const storage::StorageService& durable = tier0_ ? tier0_->durable_tier() : *storage_;
  const std::array<std::uint32_t, 1> failed{*failed_storage_};
  failures::Verdict worst = failures::Verdict::kSurvived;
  for (const Rank& rank : ranks_) {
    for (const auto& f : layout_.ranks[rank.shard].files) {
      if (durable.find(path(k, f)) == nullptr)
        continue;  // not written (yet)
      const auto impact = durable.loss_impact(durable.id_of(path(k, f)), failed);
      if (!impact)
        return "unknown";
      const failures::Verdict v = failures::verdict({impact->data_fragments, impact->redundancy},
                                                    impact->worst_fragments_lost);
      worst = std::max(worst, v);
    }
  }
  return std::string(failures::name(worst));
}

sim::Task<void> Checkpoint::drive() {
  co_await engine_.sleep(start_at_);
  for (std::size_t k = 0; k < records_.size(); ++k) {
    if (k > 0)
      co_await engine_.sleep(interval_);
    Record& rec = records_[k];
    rec.start = engine_.now();
    rec.trace_name = fmt::format("checkpoint {}", k + 1);
    trace_job(sim::Record::Kind::kBegin, "stall", rec.trace_name);
    activity(+1);
    // The host buffers of an async or peer-memory checkpoint are free once
    // the previous one's background work is done: waiting for it is stall.
    if (k > 0 && (strategy_ == Strategy::kAsync || strategy_ == Strategy::kPeerMemory))
      co_await durable_[k - 1]->wait();
    auto before = snapshot();
    for (std::size_t r = 0; r < ranks_.size(); ++r)
      engine_.spawn(save(k, r), "");
    co_await blocked_[k]->wait();
    rec.stall_end = engine_.now();
    trace_job(sim::Record::Kind::kEnd, "stall", rec.trace_name);
    const bool copy_only = strategy_ == Strategy::kAsync || strategy_ == Strategy::kPeerMemory;
    rec.phases.push_back(close_phase("stall", rec.start, before,
                                     copy_only ? 0.0 : layout_.total_bytes,
                                     copy_only ? 0.0 : physical_limit(false)));
    if (!durable_[k]->is_set()) {
      // The background part: watched by its own process while training goes
      // on. On the trace, one background slice at a time (a tiered drain can
      // outlast the next checkpoint's stall).
      if (!background_traced_ && engine_.tracing()) {
        background_traced_ = true;
        rec.background_trace = fmt::format("{} {}", background_name(k), k + 1);
        trace_job(sim::Record::Kind::kBegin, "background", rec.background_trace);
      }
      engine_.spawn(watch_background(k, snapshot()), "");
    } else {
      rec.durable_end = engine_.now();
      activity(-1);
    }
  }
  co_await durable_.back()->wait();
  if (!restore_enabled_) {
    feed_failure_analysis();
    co_return;
  }
  if (failed_server_ && tier0_ != nullptr)
    tier0_->fail_server(*failed_server_);
  if (failed_server_ && engine_.tracing())
    trace_instant(
        fmt::format("client server {} lost", cluster_->topology().servers()[*failed_server_].name));
  restore_.start = engine_.now();
  trace_job(sim::Record::Kind::kBegin, "restore", "restore");
  restoring_ = true;
  activity(+1);
  auto before = snapshot();
  for (std::size_t r = 0; r < ranks_.size(); ++r)
    engine_.spawn(restore_rank(r), "");
  co_await restored_->wait();
  restore_.end = engine_.now();
  trace_job(sim::Record::Kind::kEnd, "restore", "restore");
  const bool from_storage = strategy_ != Strategy::kPeerMemory;
  restore_.phases.push_back(close_phase("restore", restore_.start, before, restore_.bytes,
                                        from_storage ? physical_limit(true) : 0.0));
  activity(-1);
  feed_failure_analysis();
}

// Hands the measured times to the scenario's failure analysis, which reruns
// its intervals and campaign with them.
void Checkpoint::feed_failure_analysis() {
  if (failures_analysis_ == nullptr)
    return;
  double stall = 0, durable = 0;
  for (const Record& r : records_) {
    stall += r.stall_s();
    durable += r.durable_s();
  }
  const auto n = static_cast<double>(records_.size());
  const double restore = restore_.done == ranks_.size() && restore_enabled_
                             ? (restore_.end - restore_.start).seconds()
                             : 0.0;
  failures_analysis_->use_checkpoint_times(stall / n, durable / n, restore);
  failures_analysis_->analyse();
}

sim::Task<void> Checkpoint::watch_background(std::size_t k,
                                             std::vector<sim::flow::FlowSystem::Usage> before) {
  Record& rec = records_[k];
  co_await durable_[k]->wait();
  rec.durable_end = engine_.now();
  if (!rec.background_trace.empty()) {
    trace_job(sim::Record::Kind::kEnd, "background", rec.background_trace);
    background_traced_ = false;
  }
  rec.phases.push_back(close_phase(
      std::string(background_name(k)), rec.stall_end, before, layout_.total_bytes,
      (strategy_ == Strategy::kPeerMemory && !persists(k)) || strategy_ == Strategy::kTiered
          ? 0.0
          : physical_limit(false)));
  activity(-1);
}

std::string_view Checkpoint::background_name(std::size_t k) const {
  return strategy_ == Strategy::kPeerMemory && !persists(k) ? "peer_copy" : "persist";
}

bool Checkpoint::persists(std::size_t k) const {
  if (strategy_ != Strategy::kPeerMemory)
    return true;
  return persist_every_ > 0 && (k + 1) % static_cast<std::size_t>(persist_every_) == 0;
}

void Checkpoint::rank_blocked(std::size_t k, std::size_t r) {
  Record& rec = records_[k];
  rec.rank_stall_s[r] = static_cast<float>((engine_.now() - rec.start).seconds());
  if (++rec.blocked == ranks_.size())
    blocked_[k]->set();
}

void Checkpoint::rank_done(std::size_t k, std::size_t r, bool ok) {
  Record& rec = records_[k];
  if (ok)
    rec.rank_durable_s[r] = static_cast<float>((engine_.now() - rec.start).seconds());
  if (++rec.persisted == ranks_.size()) {
    rec.durable = rec.failed == 0 && persists(k);
    durable_[k]->set();
  }
}

void Checkpoint::note_failure(const std::exception& e) {
  if (failures_++ == 0)
    first_error_ = e.what();
}

sim::Task<void> Checkpoint::save(std::size_t k, std::size_t r) {
  Record& rec = records_[k];
  const Rank& rank = ranks_[r];
  const llm::RankShard& shard = layout_.ranks[rank.shard];
  const storage::Client c = client_of(r);
  bool blocked = false;
  bool ok = true;
  // The rank's slice: its whole save, or (tiered) until tier0 acknowledges,
  // since the drain may outlast the next checkpoint's start.
  RankSlice slice(*this, r, rec.trace_name);
  try {
    if (shard.bytes > 0) {
      RankSlice copy(*this, r, "gpu_copy");
      co_await rank.gpu->copy_to_host(rank.gpu_index, sim::Bytes(shard.bytes));
    }
    rec.copy_end = std::max(rec.copy_end, engine_.now());
    switch (strategy_) {
      case Strategy::kSync:
        co_await persist(k, r, *storage_, c);
        break;
      case Strategy::kAsync:
        rank_blocked(k, r);
        blocked = true;
        co_await persist(k, r, *storage_, c);
        break;
      case Strategy::kTiered: {
        co_await persist(k, r, *tier0_, c);
        rank_blocked(k, r);
        blocked = true;
        slice.end();
        for (const auto& f : shard.files) {
          if (!co_await tier0_->wait_durable(tier0_->id_of(path(k, f))))
            throw storage::StorageError(
                fmt::format("{}: lost before it was drained to durable storage", path(k, f)));
        }
        break;
      }
      case Strategy::kPeerMemory:
        rank_blocked(k, r);
        blocked = true;
        if (shard.bytes > 0) {
          RankSlice peer(*this, r, "peer_copy");
          co_await cluster_->move(cluster_->memory_of(rank.server), cluster_->memory_of(rank.peer),
                                  sim::Bytes(shard.bytes));
        }
        if (persists(k))
          co_await persist(k, r, *storage_, c);
        break;
    }
  } catch (const storage::StorageError& e) {
    ok = false;
    note_failure(e);
  } catch (const sim::flow::TransferAborted& e) {
    ok = false;
    note_failure(e);
  }
  if (!ok) {
    ++rec.failed;
    trace_rank(sim::Record::Kind::kInstant, r, "save failed");
  }
  slice.end();
  if (!blocked)
    rank_blocked(k, r);
  rank_done(k, r, ok);
}

sim::Task<void> Checkpoint::persist(std::size_t k, std::size_t r, storage::StorageService& svc,
                                    const storage::Client& c) {
  const llm::RankShard& shard = layout_.ranks[ranks_[r].shard];
  for (const auto& f : shard.files) {
    sim::Time t = engine_.now();
    RankSlice create(*this, r, "create");
    const storage::FileId id = co_await svc.create(c, path(k, f));
    create.end();
    note_metadata(kCreate, t);
    if (f.bytes > 0) {
      RankSlice write(*this, r, "write");
      co_await svc.write(c, id, sim::Bytes(0), sim::Bytes(f.bytes));
    }
    if (fsync_) {
      t = engine_.now();
      RankSlice fsync(*this, r, "fsync");
      co_await svc.fsync(c, id);
      fsync.end();
      note_metadata(kFsync, t);
    }
    t = engine_.now();
    RankSlice close(*this, r, "close");
    co_await svc.close(c, id);
    close.end();
    note_metadata(kClose, t);
  }
  records_[k].bytes += shard.bytes;
}

void Checkpoint::note_metadata(std::size_t op, sim::Time started) {
  metadata_[op].count += 1;
  metadata_[op].seconds += (engine_.now() - started).seconds();
}

sim::Task<void> Checkpoint::read_files(std::size_t r, storage::StorageService& svc,
                                       const storage::Client& c) {
  const llm::RankShard& shard = layout_.ranks[ranks_[r].shard];
  const std::size_t k = records_.size() - 1;
  for (const auto& f : shard.files) {
    sim::Time t = engine_.now();
    RankSlice open(*this, r, "open");
    const storage::FileId id = co_await svc.open(c, path(k, f));
    open.end();
    note_metadata(kOpen, t);
    if (f.bytes > 0) {
      RankSlice read(*this, r, "read");
      co_await svc.read(c, id, sim::Bytes(0), sim::Bytes(f.bytes));
    }
    t = engine_.now();
    RankSlice close(*this, r, "close");
    co_await svc.close(c, id);
    close.end();
    note_metadata(kClose, t);
  }
}

sim::Task<void> Checkpoint::restore_rank(std::size_t r) {
  const Rank& rank = ranks_[r];
  const llm::RankShard& shard = layout_.ranks[rank.shard];
  const storage::Client c = client_of(r);
  const bool lost_local = failed_server_ && *failed_server_ == rank.server;
  const std::size_t last = records_.size() - 1;
  RankSlice slice(*this, r, "restore");
  try {
    if (strategy_ == Strategy::kPeerMemory && !lost_local) {
      restore_.from[0] += 1;  // still in its own host memory
    } else if (strategy_ == Strategy::kPeerMemory &&
               !(failed_server_ && *failed_server_ == rank.peer)) {
      restore_.from[1] += 1;
      if (shard.bytes > 0) {
        RankSlice peer(*this, r, "peer_read");
        co_await cluster_->move(cluster_->memory_of(rank.peer), cluster_->memory_of(rank.server),
                                sim::Bytes(shard.bytes));
      }
    } else if (strategy_ == Strategy::kPeerMemory && !persists(last)) {
      throw storage::StorageError(fmt::format(
          "rank {}: its checkpoint was in the memory of `{}` and `{}` only, and was lost", r,
          cluster_->topology().servers()[rank.server].name,
          cluster_->topology().servers()[rank.peer].name));
    } else if (strategy_ == Strategy::kTiered) {
      bool from_tier0 = true;
      for (const auto& f : shard.files) {
        if (tier0_->source_for(tier0_->id_of(path(last, f)), rank.server) ==
            storage::Tier0::Source::kDurable)
          from_tier0 = false;
      }
      restore_.from[from_tier0 ? 2 : 3] += 1;
      co_await read_files(r, *tier0_, c);
    } else {
      restore_.from[3] += 1;
      co_await read_files(r, *storage_, c);
    }
    if (shard.bytes > 0) {
      RankSlice load(*this, r, "gpu_load");
      co_await rank.gpu->copy_from_host(rank.gpu_index, sim::Bytes(shard.bytes));
    }
    restore_.rank_s[r] = static_cast<float>((engine_.now() - restore_.start).seconds());
    restore_.bytes += shard.bytes;
  } catch (const storage::StorageError& e) {
    ++restore_.failed;
    note_failure(e);
    trace_rank(sim::Record::Kind::kInstant, r, "restore failed");
  } catch (const sim::flow::TransferAborted& e) {
    ++restore_.failed;
    note_failure(e);
    trace_rank(sim::Record::Kind::kInstant, r, "restore failed");
  }
  slice.end();
  if (++restore_.done == ranks_.size())
    restored_->set();
}

// ---- results ----

namespace {

nlohmann::json phase_json(const Checkpoint::Phase& p) {
  const double d = (p.end - p.start).seconds();
  nlohmann::json j = {{"name", p.name},
                      {"start_s", p.start.seconds()},
                      {"duration_s", d},
                      {"bytes", p.bytes},
                      {"bottlenecks", p.bottlenecks}};
  if (p.bytes > 0 && d > 0) {
    j["throughput_bytes_per_s"] = p.bytes / d;
    if (p.physical_limit > 0) {
      j["physical_limit_bytes_per_s"] = p.physical_limit;
      j["fraction_of_physical_limit"] = p.bytes / d / p.physical_limit;
    }
  }
  return j;
}

}  // namespace

nlohmann::json Checkpoint::metrics(sim::Time end) const {
  nlohmann::json m;
  m["model"] = {{"name", model_.name},
                {"layers", model_.layers},
                {"hidden", model_.hidden},
                {"ffn", model_.ffn},
                {"heads", model_.heads},
                {"kv_heads", model_.kv_heads},
                {"vocab", model_.vocab},
                {"parameters", llm::parameter_count(model_)},
                {"bytes_per_parameter", precision_.total()}};
  m["parallelism"] = {{"tp", parallelism_.tp},
                      {"pp", parallelism_.pp},
                      {"dp", parallelism_.dp},
                      {"zero_stage", parallelism_.zero_stage}};
  m["strategy"] = strategy_name(strategy_);
  m["storage"] = storage_->name();
  m["ranks"] = ranks_.size();
  m["checkpoint_bytes"] = layout_.total_bytes;
  m["files_per_checkpoint"] = layout_.file_count;
  m["max_rank_bytes"] = layout_.max_rank_bytes;

  double stall = 0, stall_max = 0, durable = 0;
  std::size_t durable_n = 0, taken = 0;
  nlohmann::json list = nlohmann::json::array();
  for (const Record& rec : records_) {
    if (rec.blocked < ranks_.size())
      continue;  // not taken before the end of the run
    ++taken;
    stall += rec.stall_s();
    stall_max = std::max(stall_max, rec.stall_s());
    nlohmann::json j = {{"start_s", rec.start.seconds()},
                        {"stall_s", rec.stall_s()},
                        {"copy_s", (rec.copy_end - rec.start).seconds()},
                        {"bytes", rec.bytes},
                        {"failed_ranks", rec.failed},
                        {"durable", rec.durable},
                        {"rank_stall_s", percentiles(rec.rank_stall_s)},
                        {"rank_completion_s", percentiles(rec.rank_durable_s)},
                        {"rank_stall_cdf", quantiles(rec.rank_stall_s)},
                        {"rank_completion_cdf", quantiles(rec.rank_durable_s)}};
    if (rec.persisted == ranks_.size()) {
      const double d = rec.durable_s();
      j[rec.durable ? "time_to_durable_s" : "time_to_safe_s"] = d;
      if (rec.durable) {
        durable += d;
        ++durable_n;
      }
      // MLPerf Storage: duration is the slowest rank's; throughput the
      // slowest rank's bytes over its time.
      double slowest = 0, min_tp = std::numeric_limits<double>::infinity();
      for (std::size_t r = 0; r < ranks_.size(); ++r) {
        const double t = rec.rank_durable_s[r];
        const double b = layout_.ranks[ranks_[r].shard].bytes;
        slowest = std::max(slowest, t);
        if (t > 0 && b > 0)
          min_tp = std::min(min_tp, b / t);
      }
      j["mlperf"] = {{"duration_s", slowest},
                     {"throughput_bytes_per_s", std::isfinite(min_tp) ? min_tp : 0.0},
                     {"aggregate_bytes_per_s", slowest > 0 ? layout_.total_bytes / slowest : 0.0}};
      j["aggregate_throughput_bytes_per_s"] = d > 0 ? layout_.total_bytes / d : 0.0;
    }
    nlohmann::json phases = nlohmann::json::array();
    for (const Phase& p : rec.phases)
      phases.push_back(phase_json(p));
    j["phases"] = std::move(phases);
    if (storage_fault_at_) {
      const std::size_t k = static_cast<std::size_t>(&rec - records_.data());
      const bool during = *storage_fault_at_ >= rec.start &&
                          (rec.persisted < ranks_.size() || *storage_fault_at_ <= rec.durable_end);
      j["storage_fault"] = {{"server", cluster_->topology().servers()[*failed_storage_].name},
                            {"at_s", storage_fault_at_->seconds()},
                            {"during_save", during},
                            {"verdict", verdict(k)},
                            {"rebuild",
                             {{"lost_bytes", rebuild_.lost_bytes},
                              {"read_bytes", rebuild_.read_bytes},
                              {"write_bytes", rebuild_.write_bytes},
                              {"done", rebuild_.shares > 0 && rebuild_.done == rebuild_.shares},
                              {"duration_s", (rebuild_.end - rebuild_.start).seconds()}}}};
    }
    list.push_back(std::move(j));
  }
  m["checkpoints"] = std::move(list);
  // The well-known keys other parts read (models/cost, models/failures).
  nlohmann::json summary = {{"count", taken},
                            {"interval_s", interval_.seconds()},
                            {"gpus", ranks_.size()},
                            {"bytes", layout_.total_bytes},
                            {"stall_s", taken > 0 ? stall / static_cast<double>(taken) : 0.0},
                            {"stall_max_s", stall_max}};
  if (durable_n > 0)
    summary["time_to_durable_s"] = durable / static_cast<double>(durable_n);
  if (restore_enabled_ && restore_.done == ranks_.size()) {
    const double d = (restore_.end - restore_.start).seconds();
    summary["restore_s"] = d;
    nlohmann::json phases = nlohmann::json::array();
    for (const Phase& p : restore_.phases)
      phases.push_back(phase_json(p));
    m["restore"] = {{"start_s", restore_.start.seconds()},
                    {"duration_s", d},
                    {"bytes", restore_.bytes},
                    {"throughput_bytes_per_s", d > 0 ? restore_.bytes / d : 0.0},
                    {"failed_ranks", restore_.failed},
                    {"rank_s", percentiles(restore_.rank_s)},
                    {"ranks_from",
                     {{"host_memory", restore_.from[0]},
                      {"peer_memory", restore_.from[1]},
                      {"tier0", restore_.from[2]},
                      {"durable", restore_.from[3]}}},
                    {"phases", std::move(phases)}};
  }
  m["checkpoint"] = std::move(summary);

  nlohmann::json meta;
  const double span = end.seconds();
  // Rates over the time checkpoints and the restore were under way.
  double active = 0;
  for (const Record& rec : records_) {
    if (rec.persisted == ranks_.size())
      active += rec.durable_s();
  }
  if (restore_.done == ranks_.size() && restore_enabled_)
    active += (restore_.end - restore_.start).seconds();
  meta["active_s"] = active;
  for (std::size_t i = 0; i < kMetadataOps.size(); ++i) {
    const Metadata& md = metadata_[i];
    meta[kMetadataOps[i]] = {
        {"count", md.count},
        {"rate_per_s", active > 0 ? static_cast<double>(md.count) / active : 0.0},
        {"mean_latency_s", md.count > 0 ? md.seconds / static_cast<double>(md.count) : 0.0}};
  }
  m["metadata"] = std::move(meta);

  // Burstiness: the peak sampled bandwidth over the mean over the
  // checkpointing cycles (count x (interval + mean stall)).
  const double cycle =
      taken > 0 ? static_cast<double>(taken) * (interval_.seconds() + stall / taken) : span;
  nlohmann::json tiers, series = {{"period_s", sample_period_.seconds()}, {"t_s", sample_t_}};
  for (const Tier& t : tiers_) {
    const double peak = t.peak;
    const double mean = cycle > 0 ? t.bytes / cycle : 0.0;
    tiers[t.name] = {
        {"capacity_bytes_per_s", t.capacity}, {"bytes", t.bytes},
        {"restore_bytes", t.restore_bytes},   {"peak_bytes_per_s", peak},
        {"mean_bytes_per_s", mean},           {"burstiness", mean > 0 ? peak / mean : 0.0}};
    series[t.name] = t.rate;
  }
  if (attribute_) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i : top_bottlenecks(kReportedBottlenecks)) {
      const BottleneckSeries& b = bottleneck_series_[i];
      std::vector<float> u = b.utilization;
      u.resize(sample_t_.size(), 0.0f);
      list.push_back({{"constraint", cluster_->flows().name(b.constraint)},
                      {"capacity_bytes_per_s", b.capacity},
                      {"bottleneck_s", b.bottleneck_s},
                      {"utilization", std::move(u)}});
    }
    series["bottlenecks"] = std::move(list);
  }
  m["tiers"] = std::move(tiers);
  m["time_series"] = std::move(series);
  m["failed_ranks"] = failures_;
  if (failures_ > 0)
    m["first_error"] = first_error_;
  if (!params_.string("dlio").empty())
    m["dlio"] = {{"config", params_.string("dlio")}, {"ignored_keys", dlio_unknown_keys_}};
  return m;
}

std::vector<std::string> Checkpoint::summary(sim::Time end) const {
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "{} ({:.1f} B parameters, {} B/param): {} in {} files from {} ranks (TP {} x PP {} x DP {}, "
      "ZeRO {})",
      model_.name, llm::parameter_count(model_) / 1e9, precision_.total(),
      sim::to_string(sim::Bytes(layout_.total_bytes)), layout_.file_count, ranks_.size(),
      parallelism_.tp, parallelism_.pp, parallelism_.dp, parallelism_.zero_stage));
  const nlohmann::json m = metrics(end);
  const auto& s = m["checkpoint"];
  std::string line =
      fmt::format("{} to `{}`: {} checkpoints, stall {:.2f} s", strategy_name(strategy_),
                  storage_->name(), s["count"].get<std::size_t>(), s["stall_s"].get<double>());
  if (s.contains("time_to_durable_s"))
    line = fmt::format("{}, durable after {:.2f} s", line, s["time_to_durable_s"].get<double>());
  if (s.contains("restore_s"))
    line = fmt::format("{}; restore {:.2f} s", line, s["restore_s"].get<double>());
  lines.push_back(line);
  if (!m["checkpoints"].empty() && m["checkpoints"][0].contains("mlperf")) {
    const auto& c = m["checkpoints"][0];
    lines.push_back(fmt::format(
        "first checkpoint: MLPerf duration {:.2f} s, throughput {} (slowest rank), aggregate {}",
        c["mlperf"]["duration_s"].get<double>(),
        sim::to_string(sim::BytesPerSec(c["mlperf"]["throughput_bytes_per_s"].get<double>())),
        sim::to_string(sim::BytesPerSec(c["aggregate_throughput_bytes_per_s"].get<double>()))));
    for (const auto& p : c["phases"]) {
      if (p.contains("fraction_of_physical_limit") && !p["bottlenecks"].empty())
        lines.push_back(fmt::format(
            "  {}: {:.0f}% of the physical limit {}; bottleneck {}", p["name"].get<std::string>(),
            100 * p["fraction_of_physical_limit"].get<double>(),
            sim::to_string(sim::BytesPerSec(p["physical_limit_bytes_per_s"].get<double>())),
            p["bottlenecks"][0]["constraint"].get<std::string>()));
    }
  }
  if (failures_ > 0)
    lines.push_back(fmt::format("{} rank operations failed; first: {}", failures_, first_error_));
  if (storage_fault_at_ && !records_.empty() && records_[0].blocked == ranks_.size())
    lines.push_back(fmt::format("storage server `{}` lost at {:.3f} s: the first checkpoint {}",
                                cluster_->topology().servers()[*failed_storage_].name,
                                storage_fault_at_->seconds(), verdict(0)));
  for (const std::string& k : dlio_unknown_keys_)
    lines.push_back(fmt::format("DLIO config: {}", k));
  return lines;
}

std::vector<std::string> Checkpoint::closing_summary(sim::Time end) const {
  std::vector<std::string> lines;
  if (siblings_.empty())
    return lines;
  const auto cell = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) ? fmt::format("{:.2f}", j[key].get<double>()) : std::string("-");
  };
  lines.push_back("checkpoints compared:");
  lines.push_back(fmt::format("  {:<14} {:<12} {:<10} {:>9} {:>10} {:>10} {:>12}  {}", "component",
                              "strategy", "storage", "stall s", "durable s", "restore s", "GB/s",
                              "first bottleneck"));
  for (const Checkpoint* c : siblings_) {
    const nlohmann::json m = c->metrics(end);
    const auto& s = m["checkpoint"];
    std::string rate = "-", bottleneck = "-";
    if (!m["checkpoints"].empty()) {
      const auto& first = m["checkpoints"][0];
      if (first.contains("aggregate_throughput_bytes_per_s"))
        rate = fmt::format("{:.1f}", first["aggregate_throughput_bytes_per_s"].get<double>() / 1e9);
      for (const auto& p : first["phases"]) {
        if (!p["bottlenecks"].empty()) {
          bottleneck = p["bottlenecks"][0]["constraint"].get<std::string>();
          break;
        }
      }
    }
    lines.push_back(fmt::format("  {:<14} {:<12} {:<10} {:>9} {:>10} {:>10} {:>12}  {}", c->name(),
                                strategy_name(c->strategy_), c->storage_->name(),
                                cell(s, "stall_s"), cell(s, "time_to_durable_s"),
                                cell(s, "restore_s"), rate, bottleneck));
  }
  return lines;
}

}  // namespace stormsim::models

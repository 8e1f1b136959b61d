#include "models/workloads/write_read.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/registry.h"
#include "models/simulation.h"
#include "sim/flow/flow_system.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec WriteRead::spec() {
  return ModelSpec{
      "write_read",
      "Each client rank writes a file to a storage service, fsyncs and closes it; once all "
      "have, each reads its file back. Reports per-phase duration and throughput.",
      {
          ParamSpec::ref("storage").help("the storage service component to use"),
          ParamSpec::string_list("clients")
              .def("[gpu_servers]")
              .help("servers running client ranks: groups, server names or parts"),
          ParamSpec::integer("ranks_per_server")
              .def("1")
              .min(1)
              .max(1024)
              .help("client ranks per server (rank i of a server uses GPU i mod GPUs)"),
          ParamSpec::quantity("file_size", Dimension::kSize)
              .def("1GiB")
              .min(0)
              .help("bytes each rank writes (and reads back)"),
          ParamSpec::enumeration("buffer", {"host", "gpu"})
              .def("host")
              .help("where the bytes are: host memory (staged) or GPU memory (GPUDirect)"),
          ParamSpec::time("start").def("0s").min(0).help("when the ranks start"),
          ParamSpec::boolean("read_back").def("true").help("read every file back after writing"),
          ParamSpec::string("prefix").def("write_read").help("path prefix of the files"),
      }};
}

STORMSIM_REGISTER_MODEL(WriteRead);

WriteRead::WriteRead(const ComponentContext& ctx)
    : Component(ctx),
      params_(ctx.params),
      engine_(ctx.engine),
      file_size_(ctx.params.bytes("file_size")),
      start_(ctx.params.time("start")),
      read_back_(ctx.params.boolean("read_back")),
      prefix_(ctx.params.string("prefix")) {}

WriteRead::~WriteRead() = default;

void WriteRead::connect(Simulation& sim) {
  storage_ = &sim.find<storage::StorageService>(params_.string("storage"), params_, "storage");
  Cluster& cluster = sim.cluster(params_, "clients");
  const auto servers = cluster.select_servers(params_.string_list("clients"), params_, "clients");
  const auto per_server = static_cast<std::uint32_t>(params_.integer("ranks_per_server"));
  const bool gpu = params_.string("buffer") == "gpu";
  for (std::uint32_t s : servers) {
    const auto gpus = cluster.server_vertices(s, topo::VertexKind::kGpu);
    if (gpu && gpus.empty()) {
      params_.fail("buffer", fmt::format("server `{}` has no GPU to hold the buffer",
                                         cluster.topology().servers()[s].name));
    }
    for (std::uint32_t i = 0; i < per_server; ++i) {
      const topo::Vertex buffer = gpu ? gpus[i % gpus.size()] : cluster.memory_of(s);
      clients_.push_back(storage::Client{buffer, s, clients_.size()});
    }
  }
  all_written_ = std::make_unique<sim::Event>(engine_);
  write_.rank_seconds.assign(clients_.size(), 0);
  read_.rank_seconds.assign(clients_.size(), 0);
}

void WriteRead::start() {
  for (std::size_t r = 0; r < clients_.size(); ++r)
    engine_.spawn(rank(r), fmt::format("{}.rank{}", name(), r));
}

sim::Task<void> WriteRead::rank(std::size_t r) {
  const storage::Client& c = clients_[r];
  const std::string path = fmt::format("{}/rank{}", prefix_, r);
  co_await engine_.sleep(start_);
  try {
    sim::Time t0 = engine_.now();
    write_.first_start = std::min(write_.first_start, t0);
    const storage::FileId f = co_await storage_->create(c, path);
    co_await storage_->write(c, f, sim::Bytes(0), file_size_);
    co_await storage_->fsync(c, f);
    co_await storage_->close(c, f);
    write_.rank_seconds[r] = (engine_.now() - t0).seconds();
    write_.last_end = std::max(write_.last_end, engine_.now());
    write_.bytes += file_size_.value();
    if (++write_.done + failed_ == clients_.size())
      all_written_->set();
    if (!read_back_)
      co_return;
    co_await all_written_->wait();
    t0 = engine_.now();
    read_.first_start = std::min(read_.first_start, t0);
    const storage::FileId g = co_await storage_->open(c, path);
    co_await storage_->read(c, g, sim::Bytes(0), file_size_);
    co_await storage_->close(c, g);
    read_.rank_seconds[r] = (engine_.now() - t0).seconds();
    read_.last_end = std::max(read_.last_end, engine_.now());
    read_.bytes += file_size_.value();
    ++read_.done;
  } catch (const storage::StorageError& e) {
    if (failed_++ == 0)
      first_error_ = e.what();
    if (write_.done + failed_ == clients_.size())
      all_written_->set();
  } catch (const sim::flow::TransferAborted& e) {
    if (failed_++ == 0)
      first_error_ = e.what();
    if (write_.done + failed_ == clients_.size())
      all_written_->set();
  }
}

namespace {

nlohmann::json phase_json(const WriteRead::Phase& p, std::size_t ranks) {
  if (p.done == 0)
    return {{"ranks_done", 0}};
  std::vector<double> t;
  for (double s : p.rank_seconds) {
    if (s > 0)
      t.push_back(s);
  }
  std::sort(t.begin(), t.end());
  const auto pct = [&](double q) {
    if (t.empty())
      return 0.0;
    const std::size_t i =
        std::min(t.size() - 1, static_cast<std::size_t>(q * (t.size() - 1) + 0.5));
    return t[i];
  };
  const double d = p.duration().seconds();
  return {
      {"ranks_done", p.done},
      {"ranks", ranks},
      {"start_s", p.first_start.seconds()},
      {"end_s", p.last_end.seconds()},
      {"duration_s", d},
      {"bytes", p.bytes},
      {"throughput_bytes_per_s", d > 0 ? p.bytes / d : 0.0},
      {"rank_seconds", {{"p50", pct(0.5)}, {"p99", pct(0.99)}, {"max", t.empty() ? 0 : t.back()}}}};
}

}  // namespace

nlohmann::json WriteRead::metrics(sim::Time /*end*/) const {
  nlohmann::json m = {{"ranks", clients_.size()},
                      {"write", phase_json(write_, clients_.size())},
                      {"read", phase_json(read_, clients_.size())},
                      {"failed_ranks", failed_}};
  if (failed_ > 0)
    m["first_error"] = first_error_;
  return m;
}

std::vector<std::string> WriteRead::summary(sim::Time /*end*/) const {
  std::vector<std::string> lines;
  const auto line = [&](const char* what, const Phase& p) {
    if (p.done == 0)
      return;
    const double d = p.duration().seconds();
    lines.push_back(fmt::format("{} {} x {} in {:.3f} s: {}", what, p.done,
                                sim::to_string(file_size_), d,
                                sim::to_string(sim::BytesPerSec(d > 0 ? p.bytes / d : 0))));
  };
  line("wrote", write_);
  line("read", read_);
  if (failed_ > 0)
    lines.push_back(fmt::format("{} ranks failed; first: {}", failed_, first_error_));
  return lines;
}

}  // namespace stormsim::models

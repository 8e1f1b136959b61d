#include "models/storage/service.h"

#include <fmt/format.h>

#include "models/simulation.h"

namespace stormsim::models::storage {

using sim::config::ParamSpec;

std::string_view name(Op op) {
  static constexpr std::array<std::string_view, kOps> kNames = {
      "create", "open", "write", "read", "fsync", "close", "remove", "list"};
  return kNames[static_cast<std::size_t>(op)];
}

MetadataServer::MetadataServer(sim::Engine& engine, double rate, std::int64_t parallelism)
    : engine_(engine),
      rate_(rate),
      workers_(engine, parallelism),
      service_(sim::Time::from_seconds(static_cast<double>(parallelism) / rate)) {}

sim::Task<void> MetadataServer::op() {
  const sim::Time start = engine_.now();
  {
    sim::Permit worker = co_await workers_.acquire(1);
    co_await engine_.sleep(service_);
  }
  ++operations_;
  latency_.record((engine_.now() - start).ns());
}

void StorageService::add_common_params(std::vector<ParamSpec>& params,
                                       const char* default_servers) {
  params.push_back(
      ParamSpec::string_list("servers")
          .def(default_servers)
          .help(
              "the servers running the service: groups (storage_servers), server names or parts"));
}

StorageService::StorageService(const ComponentContext& ctx)
    : Component(ctx), params_(ctx.params), engine_(ctx.engine) {}

StorageService::~StorageService() = default;

void StorageService::connect(Simulation& sim) {
  cluster_ = &sim.cluster(params_, "servers");
  servers_ = cluster_->select_servers(params_.string_list("servers"), params_, "servers");
  server_drives_.resize(servers_.size());
  is_server_.assign(cluster_->topology().servers().size(), false);
  for (std::uint32_t sv : servers_)
    is_server_[sv] = true;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    ServerDrives& d = server_drives_[i];
    d.memory = cluster_->memory_of(servers_[i]);
    for (topo::Vertex v : cluster_->server_vertices(servers_[i], topo::VertexKind::kDrive))
      d.drives.push_back(cluster_->nvme(v));
    total_drives_ += d.drives.size();
  }
}

std::pair<std::size_t, std::pair<Nvme*, std::uint32_t>> StorageService::drive(
    std::size_t global) const {
  for (std::size_t i = 0; i < server_drives_.size(); ++i) {
    const auto& d = server_drives_[i].drives;
    if (global < d.size())
      return {i, d[global]};
    global -= d.size();
  }
  throw std::out_of_range("drive index past the service's drives");
}

StorageService::File& StorageService::file(FileId f) {
  if (f >= files_.size() || files_[f].path.empty())
    throw StorageError(fmt::format("{}: no open file with id {}", name(), f));
  return files_[f];
}

const StorageService::File& StorageService::file(FileId f) const {
  if (f >= files_.size() || files_[f].path.empty())
    throw StorageError(fmt::format("{}: no open file with id {}", name(), f));
  return files_[f];
}

const StorageService::File* StorageService::find(const std::string& path) const {
  auto it = paths_.find(path);
  return it == paths_.end() ? nullptr : &files_[it->second];
}

FileId StorageService::id_of(const std::string& path) const {
  auto it = paths_.find(path);
  if (it == paths_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  return it->second;
}

void StorageService::count_network(topo::Vertex src, topo::Vertex dst, double bytes, Path path) {
  const topo::Topology& t = cluster_->topology();
  const std::uint32_t from = t.server_of(src), to = t.server_of(dst);
  if (from == to)
    return;
  // A generic move is on the write path when it goes to a server of the
  // service (a client's data, a replica forwarded); drive reads and moves
  // out to clients are the read path.
  if (path == Path::kAny)
    path = to != topo::kNoServer && is_server_[to] ? Path::kWrite : Path::kRead;
  (path == Path::kWrite ? network_in_ : network_out_) += bytes;
}

FileId StorageService::add_file(const std::string& path, std::uint64_t placement) {
  if (path.empty())
    throw StorageError(fmt::format("{}: empty path", name()));
  if (paths_.count(path) != 0)
    throw StorageError(fmt::format("{}: `{}` exists", name(), path));
  const FileId id = files_.size();
  files_.push_back(File{path, sim::Bytes(0), placement, true});
  paths_.emplace(path, id);
  return id;
}

void StorageService::remove_file(const std::string& path) {
  auto it = paths_.find(path);
  if (it == paths_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  files_[it->second].path.clear();
  paths_.erase(it);
}

std::vector<std::string> StorageService::paths_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = paths_.lower_bound(prefix); it != paths_.end() && it->first.starts_with(prefix);
       ++it)
    out.push_back(it->first);
  return out;
}

void StorageService::count(Op op, sim::Time started, sim::Bytes bytes) {
  const auto k = static_cast<std::size_t>(op);
  ++ops_[k];
  op_latency_[k].record((engine_.now() - started).ns());
  if (op == Op::kWrite)
    logical_written_ += bytes.value();
  else if (op == Op::kRead)
    logical_read_ += bytes.value();
}

sim::Task<void> StorageService::move(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes,
                                     MoveOptions options) {
  count_network(src, dst, bytes.value(), Path::kAny);
  co_await cluster_->move(src, dst, bytes, options);
}

sim::Task<void> StorageService::write_drive(topo::Vertex src, std::pair<Nvme*, std::uint32_t> d,
                                            sim::Bytes bytes, IoShape shape, MoveOptions options) {
  // No frame of its own: the drive's task is the move. Counted when it is
  // made, not started: every caller starts it in the same instant.
  count_network(src, d.first->vertex(d.second), bytes.value(), Path::kWrite);
  drive_written_ += bytes.value();
  return d.first->write_from(src, d.second, bytes, shape, options);
}

sim::Task<void> StorageService::read_drive(topo::Vertex dst, std::pair<Nvme*, std::uint32_t> d,
                                           sim::Bytes bytes, IoShape shape, MoveOptions options) {
  count_network(d.first->vertex(d.second), dst, bytes.value(), Path::kRead);
  drive_read_ += bytes.value();
  return d.first->read_to(dst, d.second, bytes, shape, options);
}

sim::Task<void> StorageService::message(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes) {
  co_await cluster_->move(src, dst, bytes, {.flow_label = Cluster::channel_label(src, dst)});
}

namespace {

nlohmann::json latency_json(const sim::stats::HdrHistogram& h) {
  if (h.count() == 0)
    return nlohmann::json::object();
  return {{"mean_s", h.mean() * 1e-9},
          {"p50_s", h.percentile(50) * 1e-9},
          {"p99_s", h.percentile(99) * 1e-9},
          {"max_s", h.max() * 1e-9}};
}

}  // namespace

nlohmann::json StorageService::metrics(sim::Time end) const {
  nlohmann::json ops = nlohmann::json::object();
  for (std::size_t k = 0; k < kOps; ++k) {
    if (ops_[k] == 0)
      continue;
    ops[std::string(storage::name(static_cast<Op>(k)))] = {
        {"count", ops_[k]},
        {"rate_per_s", end.seconds() > 0 ? static_cast<double>(ops_[k]) / end.seconds() : 0.0},
        {"latency", latency_json(op_latency_[k])}};
  }
  const double w = logical_written_;
  return {{"design", describe()},
          {"servers", servers_.size()},
          {"drives", total_drives_},
          {"files", paths_.size()},
          {"operations", ops},
          {"written_bytes", w},
          {"read_bytes", logical_read_},
          {"network_bytes", network_in_ + network_out_},
          {"network_write_bytes", network_in_},
          {"network_read_bytes", network_out_},
          {"drive_written_bytes", drive_written_},
          {"drive_read_bytes", drive_read_},
          {"network_amplification", w > 0 ? network_in_ / w : 0.0},
          {"drive_amplification", w > 0 ? drive_written_ / w : 0.0},
          {"storage_amplification", storage_amplification()}};
}

std::vector<std::string> StorageService::summary(sim::Time /*end*/) const {
  std::vector<std::string> lines{describe()};
  if (logical_written_ > 0) {
    lines.push_back(fmt::format("wrote {}; {:.2f}x on the network, {:.2f}x onto drives",
                                sim::to_string(sim::Bytes(logical_written_)),
                                network_in_ / logical_written_, drive_written_ / logical_written_));
  }
  return lines;
}

}  // namespace stormsim::models::storage

#include "models/storage/tier0/tier0.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "models/registry.h"
#include "models/simulation.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

sim::Task<void> pause(sim::Engine& engine, sim::Time t) {
  co_await engine.sleep(t);
}

}  // namespace

ModelSpec Tier0::spec() {
  std::vector<ParamSpec> params;
  add_common_params(params, "[gpu_servers]");
  params.push_back(ParamSpec::ref("durable").help(
      "the storage service files drain to (a chain_store, lustre, object_store, ...)"));
  params.push_back(ParamSpec::integer("peer_replicas")
                       .def("0")
                       .min(0)
                       .max(16)
                       .help("extra copies of each file on peer servers' tier-0 (1: one node "
                             "loss loses nothing before the drain)"));
  params.push_back(ParamSpec::enumeration("peer_placement", {"ring", "other_leaf"})
                       .def("ring")
                       .help("peers: the next servers of the service in a ring, or the next "
                             "ones under another leaf switch (survives a leaf/rack loss)"));
  // An assumption: 1 MiB, the chunk size mdadm RAID-0 and most striped
  // local file systems use for large sequential writes.
  params.push_back(ParamSpec::quantity("stripe_size", Dimension::kSize)
                       .def("1MiB")
                       .positive()
                       .help("unit a file is striped in over a server's local drives"));
  params.push_back(ParamSpec::quantity("capacity", Dimension::kSize)
                       .def("0B")
                       .min(0)
                       .help("tier-0 bytes per server; 0: the local drives' whole capacity"));
  // An assumption: a few concurrent uploads per node, as checkpoint
  // libraries' background persist threads use (e.g. 4 in NVIDIA NeMo's
  // async checkpointing); calibrate against the durable tier.
  params.push_back(ParamSpec::integer("drains_per_server")
                       .def("4")
                       .min(1)
                       .max(4096)
                       .help("files draining at once per server; the rest queue FIFO"));
  params.push_back(ParamSpec::quantity("drain_bandwidth", Dimension::kDataRate)
                       .def("0B/s")
                       .min(0)
                       .help("cap on one server's drain traffic (leaves room for training "
                             "traffic); 0: none"));
  // An assumption: large enough that per-chunk overheads vanish, small
  // enough that the first chunk's read is a small part of a drain.
  params.push_back(ParamSpec::quantity("drain_chunk", Dimension::kSize)
                       .def("64MiB")
                       .positive()
                       .help("bytes a drain reads from the local drives per durable write"));
  // An assumption: enough chunks in flight to hide each durable write's
  // request latency, as S3 clients keep several multipart parts in flight.
  params.push_back(
      ParamSpec::integer("drain_depth")
          .def("4")
          .min(1)
          .max(1024)
          .help("chunk buffers of one drain: chunks read ahead and written concurrently"));
  // An assumption: a create or open on a local XFS/ext4 on NVMe, journal in
  // the drive's power-protected cache, takes tens of microseconds.
  params.push_back(ParamSpec::time("metadata_latency")
                       .def("20us")
                       .min(0)
                       .help("local file system create/open/close/fsync latency"));
  return ModelSpec{"tier0",
                   "Tier-0 cache: writes land on the client server's own NVMe (striped), "
                   "optionally replicated to peer servers, acknowledged there, and drained "
                   "asynchronously to a durable storage service.",
                   std::move(params)};
}

STORMSIM_REGISTER_MODEL(Tier0);

Tier0::Tier0(const ComponentContext& ctx)
    : StorageService(ctx),
      peer_replicas_(static_cast<std::size_t>(ctx.params.integer("peer_replicas"))),
      placement_(ctx.params.string("peer_placement") == "other_leaf"
                     ? tier0::PeerPlacement::kOtherLeaf
                     : tier0::PeerPlacement::kRing),
      stripe_unit_(ctx.params.bytes("stripe_size").value()),
      drain_chunk_(ctx.params.bytes("drain_chunk").value()),
      drain_depth_(ctx.params.integer("drain_depth")),
      drain_cap_(ctx.params.data_rate("drain_bandwidth").value()),
      capacity_(ctx.params.bytes("capacity").value()),
      metadata_latency_(ctx.params.time("metadata_latency")),
      ack_latency_(3),
      durable_latency_(3),
      drain_latency_(3) {}

Tier0::~Tier0() = default;

void Tier0::connect(Simulation& sim) {
  StorageService::connect(sim);
  durable_ = &sim.find<StorageService>(params_.string("durable"), params_, "durable");
  if (durable_ == this)
    params_.fail("durable", "a tier-0 cannot drain into itself");
  if (peer_replicas_ >= servers().size() && peer_replicas_ > 0) {
    params_.fail("peer_replicas",
                 fmt::format("{} peer copies need at least {} servers; `servers` has {}",
                             peer_replicas_, peer_replicas_ + 1, servers().size()));
  }
  backlog_.track(sim::stats::TimeSeries::on_change(4096));
  const topo::Topology& t = cluster().topology();
  nodes_.resize(servers().size());
  for (std::size_t i = 0; i < servers().size(); ++i) {
    Node& n = nodes_[i];
    const ServerDrives& d = drives_of(i);
    n.server = servers()[i];
    n.memory = d.memory;
    n.leaf = tier0::leaf_of(t, n.server);
    if (d.drives.empty()) {
      params_.fail("servers", fmt::format("server `{}` has no local drives for a tier-0",
                                          t.servers()[n.server].name));
    }
    for (const auto& [nvme, index] : d.drives)
      n.capacity += nvme->capacity().value();
    if (capacity_ > 0)
      n.capacity = capacity_;
    n.drains = std::make_unique<sim::Resource>(engine_, params_.integer("drains_per_server"));
    n.freed = std::make_unique<sim::Signal>(engine_);
    if (drain_cap_ > 0) {
      n.drain_cap.push_back(cluster().flows().add_constraint(
          sim::BytesPerSec(drain_cap_),
          fmt::format("{}.{}.drain", name(), t.servers()[n.server].name)));
    }
  }
}

std::string Tier0::describe() const {
  std::string peers =
      peer_replicas_ == 0
          ? "no peer copy"
          : fmt::format("{} peer cop{} ({})", peer_replicas_, peer_replicas_ == 1 ? "y" : "ies",
                        placement_ == tier0::PeerPlacement::kRing ? "ring" : "other leaf");
  return fmt::format("tier-0 on local NVMe of {} servers, {}, draining to `{}`", servers().size(),
                     peers, durable_ != nullptr ? durable_->name() : "?");
}

double Tier0::storage_amplification() const {
  return 1.0 + static_cast<double>(peer_replicas_);
}

// ---- bookkeeping ----

Tier0::Entry& Tier0::entry(FileId f) {
  file(f);  // throws for a bad id
  return entries_[f];
}

const Tier0::Entry& Tier0::entry(FileId f) const {
  if (f >= entries_.size() || entries_[f].path.empty())
    throw StorageError(fmt::format("{}: no file with id {}", name(), f));
  return entries_[f];
}

std::uint32_t Tier0::local_index(std::uint32_t server) const {
  const auto it = std::find(servers().begin(), servers().end(), server);
  return it == servers().end() ? kNoNode : static_cast<std::uint32_t>(it - servers().begin());
}

// A client on a server of the service writes to its own drives; one
// elsewhere to a server picked by its rank (over the fabric).
std::uint32_t Tier0::home_for(const Client& c) const {
  const std::uint32_t local = local_index(c.server);
  if (local != kNoNode && !nodes_[local].failed)
    return local;
  const auto n = static_cast<std::uint32_t>(nodes_.size());
  for (std::uint32_t k = 0; k < n; ++k) {
    const auto i = static_cast<std::uint32_t>((c.id + k) % n);
    if (!nodes_[i].failed)
      return i;
  }
  throw StorageError(fmt::format("{}: every tier-0 server has failed", name()));
}

bool Tier0::alive_copy(const Entry& e, std::uint32_t node) const {
  return !nodes_[node].failed &&
         std::find(e.holders.begin(), e.holders.end(), node) != e.holders.end();
}

std::optional<std::uint32_t> Tier0::copy_for(const Entry& e, std::uint32_t prefer) const {
  if (prefer != kNoNode && alive_copy(e, prefer))
    return prefer;
  for (std::uint32_t h : e.holders) {
    if (!nodes_[h].failed)
      return h;
  }
  return std::nullopt;
}

sim::Bytes Tier0::used(std::uint32_t server) const {
  const std::uint32_t i = local_index(server);
  return sim::Bytes(i == kNoNode ? 0.0 : nodes_[i].used);
}

// ---- data movement ----

sim::Task<void> Tier0::write_striped(topo::Vertex src, std::uint32_t n, double offset, double size,
                                     MoveOptions options) {
  const auto& drives = drives_of(n).drives;
  const std::vector<double> per = tier0::stripe_bytes(offset, size, stripe_unit_, drives.size());
  std::vector<sim::Task<void>> flows;
  for (std::size_t d = 0; d < drives.size(); ++d) {
    if (per[d] <= 0)
      continue;
    options.flow_label = cluster().next_label();
    flows.push_back(write_drive(src, drives[d], sim::Bytes(per[d]),
                                IoShape{sim::Bytes(stripe_unit_)}, options));
  }
  co_await sim::when_all(std::move(flows));
}

sim::Task<void> Tier0::read_striped(topo::Vertex dst, std::uint32_t n, double offset, double size,
                                    MoveOptions options) {
  const auto& drives = drives_of(n).drives;
  const std::vector<double> per = tier0::stripe_bytes(offset, size, stripe_unit_, drives.size());
  std::vector<sim::Task<void>> flows;
  for (std::size_t d = 0; d < drives.size(); ++d) {
    if (per[d] <= 0)
      continue;
    options.flow_label = cluster().next_label();
    flows.push_back(
        read_drive(dst, drives[d], sim::Bytes(per[d]), IoShape{sim::Bytes(stripe_unit_)}, options));
  }
  co_await sim::when_all(std::move(flows));
}

// A copy on another server: the bytes cross the fabric onto its drives,
// then it acknowledges.
sim::Task<void> Tier0::write_peer(topo::Vertex src, std::uint32_t n, double offset, double size) {
  co_await write_striped(src, n, offset, size, {});
  co_await message(nodes_[n].memory, src);
}

// ---- client operations ----

sim::Task<FileId> Tier0::create(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  const std::uint32_t home = home_for(c);
  std::vector<bool> excluded(nodes_.size());
  std::vector<topo::Vertex> leaves(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    excluded[i] = nodes_[i].failed;
    leaves[i] = nodes_[i].leaf;
  }
  std::vector<std::uint32_t> holders{home};
  for (std::uint32_t p : tier0::peers_of(home, peer_replicas_, leaves, excluded, placement_))
    holders.push_back(p);
  const FileId f = add_file(path, home);
  file(f).durable = false;
  if (entries_.size() <= f)
    entries_.resize(f + 1);
  Entry& e = entries_[f];
  e.path = path;
  e.home = home;
  e.holders = holders;
  e.created = e.last_use = start;
  e.changed = std::make_unique<sim::Signal>(engine_);
  e.drain_order = std::make_unique<sim::Resource>(engine_, 1);
  for (std::uint32_t h : holders)
    nodes_[h].files.insert(f);
  ids_.emplace(path, f);

  std::vector<sim::Task<void>> steps;
  steps.push_back(pause(engine_, metadata_latency_));
  for (std::size_t k = 1; k < holders.size(); ++k)
    steps.push_back(message(nodes_[home].memory, nodes_[holders[k]].memory));
  co_await sim::when_all(std::move(steps));
  count(Op::kCreate, start);
  co_return f;
}

sim::Task<FileId> Tier0::open(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  const auto it = ids_.find(path);
  if (it == ids_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  const FileId f = it->second;
  if (source_for(f, c.server) == Source::kDurable) {
    co_await durable_->open(c, path);
  } else {
    co_await engine_.sleep(metadata_latency_);
  }
  count(Op::kOpen, start);
  co_return f;
}

sim::Task<void> Tier0::write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  Entry& e = entry(f);
  if (e.lost)
    throw StorageError(fmt::format("{}: `{}` was lost with its servers", name(), e.path));
  ++e.writing;
  const std::vector<std::uint32_t> holders = e.holders;
  for (std::uint32_t h : holders)
    co_await reserve(h, size.value(), f);
  std::vector<sim::Task<void>> copies;
  for (std::uint32_t h : holders) {
    if (nodes_[h].failed)
      continue;
    if (nodes_[h].server == c.server) {
      copies.push_back(write_striped(c.buffer, h, offset.value(), size.value(), {}));
    } else {
      copies.push_back(write_peer(c.buffer, h, offset.value(), size.value()));
    }
  }
  co_await sim::when_all(std::move(copies));
  --e.writing;
  e.landed += size.value();
  e.last_use = engine_.now();
  File& meta = file(f);
  meta.size = sim::Bytes(std::max(meta.size.value(), offset.value() + size.value()));
  meta.durable = false;
  count(Op::kWrite, start, size);
}

sim::Task<void> Tier0::read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  Entry& e = entry(f);
  const std::optional<std::uint32_t> src = copy_for(e, local_index(c.server));
  if (src) {
    const bool local = nodes_[*src].server == c.server;
    read_from_[local ? 0 : 1] += size.value();
    co_await read_striped(c.buffer, *src, offset.value(), size.value(), {});
  } else if (is_durable(f)) {
    read_from_[2] += size.value();
    co_await durable_->read(c, e.durable_id, offset, size);
  } else {
    throw StorageError(fmt::format(
        "{}: `{}` is lost: no tier-0 copy survived and it had not drained", name(), e.path));
  }
  e.last_use = engine_.now();
  count(Op::kRead, start, size);
}

sim::Task<void> Tier0::fsync(const Client& /*c*/, FileId f) {
  const sim::Time start = engine_.now();
  entry(f);
  co_await engine_.sleep(metadata_latency_);
  acknowledge(f);
  count(Op::kFsync, start);
}

// close flushes, like a local file system's: it acknowledges what fsync
// did not.
sim::Task<void> Tier0::close(const Client& c, FileId f) {
  const sim::Time start = engine_.now();
  Entry& e = entry(f);
  if (e.landed > e.acked)
    acknowledge(f);
  if (!copy_for(e, local_index(c.server)) && e.durable_created) {
    co_await durable_->close(c, e.durable_id);
  } else {
    co_await engine_.sleep(metadata_latency_);
  }
  count(Op::kClose, start);
}

sim::Task<void> Tier0::remove(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  const auto it = ids_.find(path);
  if (it == ids_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  const FileId f = it->second;
  Entry& e = entries_[f];
  while (e.drains > 0)
    co_await e.changed->wait();
  co_await engine_.sleep(metadata_latency_);
  const std::vector<std::uint32_t> holders = e.holders;
  for (std::uint32_t h : holders)
    drop_copy(f, h);
  if (e.durable_created)
    co_await durable_->remove(c, path);
  ids_.erase(path);
  remove_file(path);
  e.path.clear();
  count(Op::kRemove, start);
}

sim::Task<std::vector<std::string>> Tier0::list(const Client& /*c*/, std::string prefix) {
  const sim::Time start = engine_.now();
  co_await engine_.sleep(metadata_latency_);
  count(Op::kList, start);
  co_return paths_with_prefix(prefix);
}

// ---- capacity ----

sim::Task<void> Tier0::reserve(std::uint32_t n, double bytes, FileId writer) {
  Node& node = nodes_[n];
  if (bytes > node.capacity) {
    throw StorageError(fmt::format("{}: a write of {} does not fit in tier-0's {} per server",
                                   name(), sim::to_string(sim::Bytes(bytes)),
                                   sim::to_string(sim::Bytes(node.capacity))));
  }
  const sim::Time start = engine_.now();
  bool waited = false;
  while (!node.failed && node.used + bytes > node.capacity) {
    if (evict_one(n, writer))
      continue;
    waited = true;
    co_await node.freed->wait();
  }
  if (node.failed)
    co_return;
  node.used += bytes;
  if (waited) {
    ++space_waits_;
    space_wait_s_ += (engine_.now() - start).seconds();
  }
}

// Evicts the least recently used copy on node `n` that is fully durable and
// idle; false when there is none.
bool Tier0::evict_one(std::uint32_t n, FileId writer) {
  std::optional<FileId> victim;
  for (FileId f : nodes_[n].files) {
    const Entry& e = entries_[f];
    if (f == writer || e.writing > 0 || e.drains > 0 || e.drained < e.landed)
      continue;
    if (!victim || e.last_use < entries_[*victim].last_use)
      victim = f;
  }
  if (!victim)
    return false;
  ++evictions_;
  evicted_bytes_ += entries_[*victim].landed;
  drop_copy(*victim, n);
  return true;
}

void Tier0::drop_copy(FileId f, std::uint32_t n) {
  Entry& e = entries_[f];
  Node& node = nodes_[n];
  const auto it = std::find(e.holders.begin(), e.holders.end(), n);
  if (it == e.holders.end())
    return;
  e.holders.erase(it);
  node.files.erase(f);
  node.used = std::max(0.0, node.used - e.landed);
  node.freed->notify_all();
}

}  // namespace stormsim::models::storage

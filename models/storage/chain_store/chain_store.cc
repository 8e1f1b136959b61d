#include "models/storage/chain_store/chain_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/registry.h"
#include "models/simulation.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec ChainStore::spec() {
  ModelSpec s{"chain_store",
              "A chain-replicated store, 3FS-like: chunks on CRAQ chains of targets across "
              "servers, stateless metadata over a transactional key-value store.",
              {}};
  add_common_params(s.params);
  // DeepSeek 3FS, docs/design_notes.md ("Data durability"): typically 3
  // replicas per chunk; its chain table examples use 3 targets per chain.
  s.params.push_back(ParamSpec::integer("chain_length")
                         .def("3")
                         .min(1)
                         .max(16)
                         .help("targets (replicas) per chain, each on a distinct server"));
  // DeepSeek 3FS, src/meta/service/MetaServer.cc: the root directory's
  // default layout has 512 << 10 byte chunks.
  s.params.push_back(ParamSpec::quantity("chunk_size", Dimension::kSize)
                         .def("512KiB")
                         .positive()
                         .help("bytes per chunk; chunk i of a file goes to chain "
                               "(placement + i) mod chains"));
  // An assumption: 16 chunks (8 MiB at 512 KiB) in flight per client, in the
  // range of 3FS's native-client io_depth batches; calibrate.
  s.params.push_back(
      ParamSpec::integer("chunks_in_flight")
          .def("16")
          .min(1)
          .max(65536)
          .help("chunks one client (rank) keeps in flight across its reads and writes"));
  // DeepSeek 3FS, docs/design_notes.md: "All components are connected in an
  // RDMA network (InfiniBand or RoCE)"; `nic` follows the NIC components.
  s.params.push_back(ParamSpec::enumeration("transport", {"nic", "rdma", "tcp"})
                         .def("nic")
                         .help("data path transport: the NICs' own (rdma by default), or forced"));
  // An assumption: the storage service keeps tens of requests per SSD
  // outstanding (io_uring/AIO batches).
  s.params.push_back(ParamSpec::real("drive_queue_depth")
                         .def("32")
                         .min(1)
                         .max(4096)
                         .help("queue depth the chunk I/O sees at each drive"));
  // An assumption: FoundationDB's documented performance ("Performance",
  // apple.github.io/foundationdb) reaches millions of operations per second
  // on large clusters; 50K metadata transactions per second stands for a
  // small FDB cluster serving 3FS's file-level transactions. Calibrate.
  s.params.push_back(ParamSpec::quantity("metadata_rate", Dimension::kOpRate)
                         .def("50K IOPS")
                         .positive()
                         .help("metadata transactions per second (create, open, close, fsync, "
                               "remove, list)"));
  // An assumption: a FoundationDB read-write transaction commits in about a
  // millisecond on an idle cluster (get read version + commit round trips).
  s.params.push_back(ParamSpec::time("metadata_latency")
                         .def("1ms")
                         .positive()
                         .help("one metadata transaction's latency on an idle key-value store"));
  return s;
}

STORMSIM_REGISTER_MODEL(ChainStore);

namespace {

std::optional<Transport> parse_transport(const std::string& t) {
  if (t == "rdma")
    return Transport::kRdma;
  if (t == "tcp")
    return Transport::kTcp;
  return std::nullopt;
}

std::int64_t metadata_parallelism(const sim::config::Params& p) {
  // Enough concurrent transactions that each takes `metadata_latency` while
  // together they run at `metadata_rate`.
  const double n = std::round(p.quantity("metadata_rate") * p.time("metadata_latency").seconds());
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(n));
}

}  // namespace

ChainStore::ChainStore(const ComponentContext& ctx)
    : StorageService(ctx),
      chunk_size_(ctx.params.bytes("chunk_size")),
      chunks_in_flight_(ctx.params.integer("chunks_in_flight")),
      transport_(parse_transport(ctx.params.string("transport"))),
      queue_depth_(ctx.params.real("drive_queue_depth")),
      metadata_(std::make_unique<MetadataServer>(engine_, ctx.params.quantity("metadata_rate"),
                                                 metadata_parallelism(ctx.params))) {
  protection_.scheme = Scheme::kChain;
  protection_.replicas = static_cast<int>(ctx.params.integer("chain_length"));
}

ChainStore::~ChainStore() = default;

void ChainStore::connect(Simulation& sim) {
  StorageService::connect(sim);
  try {
    table_ = ChainTable(*this, protection_.replicas);
  } catch (const std::invalid_argument& e) {
    params_.fail("chain_length", e.what());
  }
  // An assumption: the stateless metadata services run on the storage
  // servers; a client talks to the first one.
  metadata_vertex_ = drives_of(0).memory;
}

std::string ChainStore::describe() const {
  return fmt::format("{}-way chain replication (CRAQ) over {}, {} chunks, {} chains",
                     protection_.replicas,
                     transport_ ? std::string(models::name(*transport_)) : "the NICs' transport",
                     sim::to_string(chunk_size_), table_.chains());
}

std::optional<StorageService::LossImpact> ChainStore::loss_impact(
    FileId f, std::span<const std::uint32_t> failed) const {
  const File& meta = file(f);
  const double chunk = chunk_size_.value();
  const auto chunks = static_cast<std::uint64_t>(std::ceil(meta.size.value() / chunk));
  LossImpact impact{0, 1, protection_.tolerated_failures()};
  // Chunk i sits on chain (placement + i) mod chains: past one pass over the
  // table the chains repeat.
  const std::uint64_t distinct = std::min<std::uint64_t>(chunks, table_.chains());
  for (std::uint64_t i = 0; i < distinct; ++i) {
    int lost = 0;
    for (const Target& t : table_.chain((meta.placement + i) % table_.chains())) {
      if (std::find(failed.begin(), failed.end(), servers()[t.server]) != failed.end())
        ++lost;
    }
    impact.worst_fragments_lost = std::max(impact.worst_fragments_lost, lost);
  }
  return impact;
}

std::size_t ChainStore::chain_of(FileId f, std::uint64_t chunk) {
  return static_cast<std::size_t>((file(f).placement + chunk) % table_.chains());
}

MoveOptions ChainStore::data_options() const {
  MoveOptions o;
  o.transport = transport_;
  return o;
}

sim::Resource& ChainStore::in_flight(const Client& c) {
  auto& r = in_flight_[c.id];
  if (!r)
    r = std::make_unique<sim::Resource>(engine_, chunks_in_flight_);
  return *r;
}

sim::Task<void> ChainStore::metadata_transaction(const Client& c) {
  const topo::Vertex home = cluster().memory_of(c.server);
  co_await message(home, metadata_vertex_);
  co_await metadata_->op();
  co_await message(metadata_vertex_, home);
}

// ---- namespace operations: one transaction each ----

sim::Task<FileId> ChainStore::create(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  co_await metadata_transaction(c);
  // 3FS picks consecutive chains round-robin per new file.
  const FileId f = add_file(path, next_placement_++);
  ids_[path] = f;
  count(Op::kCreate, start);
  co_return f;
}

sim::Task<FileId> ChainStore::open(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  co_await metadata_transaction(c);
  auto it = ids_.find(path);
  if (it == ids_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  count(Op::kOpen, start);
  co_return it->second;
}

sim::Task<void> ChainStore::fsync(const Client& c, FileId f) {
  const sim::Time start = engine_.now();
  file(f);  // a StorageError for a bad id
  // Every write already waited for its tails' acks: only the file length
  // update remains.
  co_await metadata_transaction(c);
  file(f).durable = true;
  count(Op::kFsync, start);
}

sim::Task<void> ChainStore::close(const Client& c, FileId f) {
  const sim::Time start = engine_.now();
  file(f);
  co_await metadata_transaction(c);
  count(Op::kClose, start);
}

sim::Task<void> ChainStore::remove(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  co_await metadata_transaction(c);
  remove_file(path);
  ids_.erase(path);
  count(Op::kRemove, start);
}

sim::Task<std::vector<std::string>> ChainStore::list(const Client& c, std::string prefix) {
  const sim::Time start = engine_.now();
  co_await metadata_transaction(c);
  std::vector<std::string> out = paths_with_prefix(prefix);
  count(Op::kList, start);
  co_return out;
}

// ---- data path ----

// One read or write call: its chunk pieces, taken in order by up to
// chunks_in_flight workers, each piece also holding one of the client's
// in-flight slots.
struct ChainStore::Transfer {
  const Client* client = nullptr;
  sim::Resource* slots = nullptr;  // the client's in-flight slots
  FileId file = 0;
  bool write = false;
  double offset = 0, end = 0;        // bytes
  std::uint64_t next = 0, last = 0;  // chunk indices [next, last)
};

sim::Task<void> ChainStore::chunk_worker(Transfer& t) {
  const double chunk = chunk_size_.value();
  while (t.next < t.last) {
    const std::uint64_t i = t.next++;
    const double from = std::max(t.offset, static_cast<double>(i) * chunk);
    const double to = std::min(t.end, static_cast<double>(i + 1) * chunk);
    const sim::Bytes piece(to - from);
    const std::vector<Target>& targets = table_.chain(chain_of(t.file, i));
    const IoShape shape{piece, queue_depth_, false};
    sim::Permit slot = co_await t.slots->acquire(1);
    if (t.write) {
      co_await protected_write(*this, protection_, t.client->buffer, targets, piece, shape,
                               data_options());
      ++chunks_written_;
    } else {
      // Consecutive chunks sit on consecutive chains, whose heads alternate
      // over the servers; keeping the replica index fixed along a pass over
      // the table (and varying it by client and pass) spreads reads evenly
      // over servers and targets. Varying it per chunk would correlate it
      // with the chain's position and load some servers twice.
      const std::uint64_t hint = t.client->id + i / table_.chains();
      co_await protected_read(*this, protection_, t.client->buffer, targets, piece, hint, shape,
                              data_options());
      ++chunks_read_;
    }
  }
}

sim::Task<void> ChainStore::transfer(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size,
                                     bool write) {
  Transfer t;
  t.client = &c;
  t.slots = &in_flight(c);
  t.file = f;
  t.write = write;
  t.offset = offset.value();
  t.end = offset.value() + size.value();
  const double chunk = chunk_size_.value();
  t.next = static_cast<std::uint64_t>(std::floor(t.offset / chunk));
  t.last = static_cast<std::uint64_t>(std::ceil(t.end / chunk));
  const auto workers =
      std::min<std::uint64_t>(static_cast<std::uint64_t>(chunks_in_flight_), t.last - t.next);
  std::vector<sim::Task<void>> tasks;
  for (std::uint64_t w = 0; w < workers; ++w)
    tasks.push_back(chunk_worker(t));
  co_await sim::when_all(std::move(tasks));
}

sim::Task<void> ChainStore::write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  file(f).durable = false;
  if (size.value() > 0)
    co_await transfer(c, f, offset, size, true);
  File& written = file(f);
  written.size = sim::Bytes(std::max(written.size.value(), offset.value() + size.value()));
  count(Op::kWrite, start, size);
}

sim::Task<void> ChainStore::read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  file(f);
  if (size.value() > 0)
    co_await transfer(c, f, offset, size, false);
  count(Op::kRead, start, size);
}

nlohmann::json ChainStore::metrics(sim::Time end) const {
  nlohmann::json m = StorageService::metrics(end);
  m["chains"] = table_.chains();
  m["chain_length"] = protection_.replicas;
  m["chunk_size_bytes"] = chunk_size_.value();
  m["chunks_written"] = chunks_written_;
  m["chunks_read"] = chunks_read_;
  const auto& h = metadata_->latency();
  m["metadata"] = {{"transactions", metadata_->operations()},
                   {"rate_limit_per_s", metadata_->rate()},
                   {"mean_latency_s", h.count() > 0 ? h.mean() * 1e-9 : 0.0}};
  return m;
}

}  // namespace stormsim::models::storage

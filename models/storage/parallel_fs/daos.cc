#include "models/storage/parallel_fs/daos.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <stdexcept>

#include "models/registry.h"
#include "models/simulation.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ObjectClass parse_object_class(const std::string& name) {
  // DAOS object classes (docs.daos.io, "Object Classes"): S<n> striping
  // without redundancy, RP_<N>G<n> replication, EC_<k>P<m>G<n> erasure codes;
  // G<n> is the number of redundancy groups, GX (or SX) as many as fit.
  static const std::regex kStripe(R"(S(\d+|X))");
  static const std::regex kReplica(R"(RP_(\d+)(?:G(\d+|X))?)");
  static const std::regex kErasure(R"(EC_(\d+)P(\d+)(?:G(\d+|X))?)");
  const auto groups = [](const std::ssub_match& g) -> std::size_t {
    if (!g.matched)
      return 1;
    return g.str() == "X" ? 0 : std::stoul(g.str());
  };
  ObjectClass oc;
  std::smatch m;
  if (std::regex_match(name, m, kStripe)) {
    oc.groups = groups(m[1]);
  } else if (std::regex_match(name, m, kReplica)) {
    const int n = std::stoi(m[1].str());
    oc.protection = Protection{Scheme::kQuorum, n, n, 1, 1, 0};
    oc.width = static_cast<std::size_t>(n);
    oc.groups = groups(m[2]);
  } else if (std::regex_match(name, m, kErasure)) {
    const int k = std::stoi(m[1].str()), p = std::stoi(m[2].str());
    oc.protection = Protection{Scheme::kErasure, 1, 1, 1, k, p};
    oc.width = static_cast<std::size_t>(k + p);
    oc.groups = groups(m[3]);
  } else {
    throw std::invalid_argument(
        fmt::format("unknown object class `{}`: expected S1, S<n>, SX, RP_<N>[G<n>|GX] or "
                    "EC_<k>P<m>[G<n>|GX] (e.g. RP_3G1, EC_8P2GX)",
                    name));
  }
  if (oc.width == 0 || (oc.groups == 0 && name.back() != 'X'))
    throw std::invalid_argument(fmt::format("object class `{}` has no targets", name));
  return oc;
}

ModelSpec DaosFs::spec() {
  std::vector<ParamSpec> params;
  add_common_params(params);
  // A choice: DAOS picks a file's class from the container's redundancy
  // factor (docs.daos.io, "Container properties": rd_fac); for rd_fac 2 it
  // uses EC_<n>P2GX, and 8+2 is the width the DAOS docs' EC examples use.
  // DAOS's own default container (rd_fac 0) stores files as SX, without
  // protection: set `object_class: SX` for that.
  params.push_back(ParamSpec::string("object_class")
                       .def("EC_8P2GX")
                       .help("DAOS object class of files: S1, SX, RP_<N>[G<n>|GX], "
                             "EC_<k>P<m>[G<n>|GX]"));
  // daos_fs.h: DFS_DEFAULT_CHUNK_SIZE 1048576.
  params.push_back(
      ParamSpec::quantity("chunk_size", Dimension::kSize)
          .def("1MiB")
          .positive()
          .help("DFS chunk size: bytes per dkey, each placed on one redundancy group"));
  // An assumption: libdaos issues an array write's dkeys asynchronously; 16
  // at once keep the targets busy without simulating thousands of flows.
  params.push_back(ParamSpec::integer("chunks_in_flight")
                       .def("16")
                       .min(1)
                       .max(4096)
                       .help("chunks (dkey updates) of one read or write in flight at once"));
  // docs.daos.io, "Pool Operations", dmg pool create: --nsvc, number of pool
  // service replicas (default: 3).
  params.push_back(ParamSpec::integer("pool_service_replicas")
                       .def("3")
                       .min(1)
                       .max(15)
                       .help("Raft replicas of the pool service, on distinct servers (capped at "
                             "the server count)"));
  // An assumption, the same rate as the Lustre model's MDS so the two
  // differ by their paths; calibrate for a real pool service leader.
  params.push_back(ParamSpec::quantity("pool_service_rate", Dimension::kOpRate)
                       .def("50K IOPS")
                       .positive()
                       .help("metadata operations per second of the pool service leader"));
  // An assumption: a CaRT RPC request or reply without bulk data.
  params.push_back(ParamSpec::quantity("message_size", Dimension::kSize)
                       .def("256B")
                       .min(0)
                       .help("bytes of an RPC request, reply or Raft append"));
  return ModelSpec{"daos",
                   "A DAOS-like file system (DFS): user-space RDMA clients, replicated or "
                   "erasure-coded objects chunked over redundancy groups by dkey, a "
                   "Raft-replicated pool service for metadata.",
                   std::move(params)};
}

STORMSIM_REGISTER_MODEL(DaosFs);

struct DaosFs::Round {
  explicit Round(sim::Engine& e) : reached(e) {}
  sim::Event reached;
  std::size_t needed = 0, acks = 0;
};

DaosFs::DaosFs(const ComponentContext& ctx)
    : FileSystem(ctx),
      class_name_(ctx.params.string("object_class")),
      chunk_size_(ctx.params.bytes("chunk_size")),
      message_size_(ctx.params.bytes("message_size")),
      chunks_in_flight_(static_cast<std::size_t>(ctx.params.integer("chunks_in_flight"))),
      leader_(std::make_unique<MetadataServer>(engine_, ctx.params.quantity("pool_service_rate"))) {
  try {
    class_ = parse_object_class(class_name_);
  } catch (const std::invalid_argument& e) {
    ctx.params.fail("object_class", e.what());
  }
}

DaosFs::~DaosFs() = default;

void DaosFs::connect(Simulation& sim) {
  StorageService::connect(sim);
  std::vector<std::size_t> counts;
  for (std::size_t s = 0; s < servers().size(); ++s)
    counts.push_back(drives_of(s).drives.size());
  layout_ = parallel_fs::interleave(counts);
  const std::size_t fit = layout_.size() / class_.width;
  if (fit == 0 || class_.groups > fit) {
    params_.fail("object_class", fmt::format("`{}` needs {} targets, the pool has {}", class_name_,
                                             class_.width * std::max<std::size_t>(class_.groups, 1),
                                             layout_.size()));
  }
  if (class_.groups == 0)
    class_.groups = fit;
  const auto n = std::min<std::size_t>(
      static_cast<std::size_t>(params_.integer("pool_service_replicas")), servers().size());
  for (std::size_t r = 0; r < n; ++r)
    replicas_.push_back(drives_of(r).memory);
}

std::vector<Target> DaosFs::chunk_targets(FileId f, std::uint64_t chunk) {
  const std::uint64_t oid = file(f).placement;
  const std::size_t group = parallel_fs::mix(oid, chunk) % class_.groups;
  std::vector<Target> out;
  for (std::size_t s = 0; s < class_.width; ++s) {
    const auto [server, local] = layout_[(oid + group * class_.width + s) % layout_.size()];
    out.push_back(Target{server, drives_of(server).drives[local]});
  }
  return out;
}

sim::Task<void> DaosFs::append(std::shared_ptr<Round> round, std::size_t follower) {
  co_await message(replicas_[0], replicas_[follower], message_size_);
  co_await message(replicas_[follower], replicas_[0], message_size_);
  if (++round->acks == round->needed)
    round->reached.set();
}

sim::Task<void> DaosFs::commit(const Client& c) {
  ++commits_;
  co_await message(c.buffer, replicas_[0], message_size_);
  co_await leader_->op();
  // A majority of n is the leader and floor(n / 2) followers; the other
  // appends go on in the background.
  auto round = std::make_shared<Round>(engine_);
  round->needed = replicas_.size() / 2;
  for (std::size_t f = 1; f < replicas_.size(); ++f)
    engine_.spawn(append(round, f), fmt::format("{}: raft append {}", name(), f));
  if (round->needed > 0)
    co_await round->reached.wait();
  co_await message(replicas_[0], c.buffer, message_size_);
}

sim::Task<void> DaosFs::leader_read(const Client& c) {
  co_await message(c.buffer, replicas_[0], message_size_);
  co_await leader_->op();
  co_await message(replicas_[0], c.buffer, message_size_);
}

sim::Task<void> DaosFs::chunk_io(const Client& c, FileId f, std::uint64_t chunk, sim::Bytes bytes,
                                 bool write) {
  const std::vector<Target> targets = chunk_targets(f, chunk);
  const topo::Vertex leader = drives_of(targets[0].server).memory;
  // One request per fragment or copy, at queue depth 1 on its drive.
  const IoShape shape{bytes / static_cast<double>(class_.protection.data), 1, false};
  co_await message(c.buffer, leader, message_size_);
  if (write) {
    co_await protected_write(*this, class_.protection, c.buffer, targets, bytes, shape);
    co_await message(leader, c.buffer, message_size_);
  } else {
    // The engines RDMA-write the data into the client buffer; the last
    // transfer completes the read.
    co_await protected_read(*this, class_.protection, c.buffer, targets, bytes, chunk, shape);
  }
}

sim::Task<void> DaosFs::io(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size,
                           bool write) {
  if (size.value() <= 0)
    co_return;
  const double cs = chunk_size_.value();
  const auto first = static_cast<std::uint64_t>(std::floor(offset.value() / cs));
  const auto last = static_cast<std::uint64_t>(std::ceil((offset.value() + size.value()) / cs));
  const double begin = offset.value(), end = offset.value() + size.value();
  const auto part = [this, &c, f, first, cs, begin, end, write](std::size_t i) {
    const std::uint64_t chunk = first + i;
    const double lo = std::max(begin, cs * static_cast<double>(chunk));
    const double hi = std::min(end, cs * static_cast<double>(chunk + 1));
    return chunk_io(c, f, chunk, sim::Bytes(hi - lo), write);
  };
  co_await parallel_fs::bounded(static_cast<std::size_t>(last - first), chunks_in_flight_, part);
}

sim::Task<FileId> DaosFs::create(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await commit(c);
  // The object id: its hash places the object's groups.
  const FileId id = add(path, parallel_fs::stable_hash(path, 0xda05));
  count(Op::kCreate, t0);
  co_return id;
}

sim::Task<FileId> DaosFs::open(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await leader_read(c);
  const FileId id = id_of(path);
  count(Op::kOpen, t0);
  co_return id;
}

sim::Task<void> DaosFs::write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time t0 = engine_.now();
  file(f);
  co_await io(c, f, offset, size, true);
  File& file_ref = file(f);
  file_ref.size = sim::Bytes(std::max(file_ref.size.value(), offset.value() + size.value()));
  count(Op::kWrite, t0, size);
}

sim::Task<void> DaosFs::read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time t0 = engine_.now();
  const double end = std::min(offset.value() + size.value(), file(f).size.value());
  const sim::Bytes got(std::max(0.0, end - offset.value()));
  co_await io(c, f, offset, got, false);
  count(Op::kRead, t0, got);
}

sim::Task<void> DaosFs::fsync(const Client& /*c*/, FileId f) {
  file(f);
  count(Op::kFsync, engine_.now());
  co_return;
}

sim::Task<void> DaosFs::close(const Client& /*c*/, FileId f) {
  file(f);
  count(Op::kClose, engine_.now());
  co_return;
}

sim::Task<void> DaosFs::remove(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await commit(c);
  forget(path);
  count(Op::kRemove, t0);
}

sim::Task<std::vector<std::string>> DaosFs::list(const Client& c, std::string prefix) {
  const sim::Time t0 = engine_.now();
  co_await leader_read(c);
  count(Op::kList, t0);
  co_return paths_with_prefix(prefix);
}

std::string DaosFs::describe() const {
  return fmt::format(
      "DAOS-like: {} targets on {} engines, object class {} ({}, {} groups), {} chunks, "
      "user-space RDMA client, pool service of {} Raft replicas at {:.0f} ops/s",
      layout_.size(), servers().size(), class_name_, class_.protection.describe(), class_.groups,
      sim::to_string(chunk_size_), replicas_.size(), leader_->rate());
}

nlohmann::json DaosFs::metrics(sim::Time end) const {
  nlohmann::json m = StorageService::metrics(end);
  const double busy = static_cast<double>(leader_->operations()) / leader_->rate();
  m["pool_service"] = {{"replicas", replicas_.size()},
                       {"commits", commits_},
                       {"leader_operations", leader_->operations()},
                       {"leader_utilization", end.seconds() > 0 ? busy / end.seconds() : 0.0}};
  m["object_class"] = class_name_;
  m["targets"] = layout_.size();
  m["groups"] = class_.groups;
  return m;
}

}  // namespace stormsim::models::storage

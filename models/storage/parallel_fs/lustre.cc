#include "models/storage/parallel_fs/lustre.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/registry.h"
#include "models/simulation.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec LustreFs::spec() {
  std::vector<ParamSpec> params;
  add_common_params(params);
  // Lustre Operations Manual, "Lustre File System Components": one MDT per
  // file system unless DNE (Distributed Namespace) adds more.
  params.push_back(ParamSpec::integer("mds").def("1").min(1).max(4096).help(
      "metadata servers (MDS/MDT); files are hashed over them by path (DNE)"));
  params.push_back(ParamSpec::string_list("mds_servers")
                       .def("[]")
                       .help("servers running the MDSs, round-robin; [] co-locates them with the "
                             "OSSs (`servers`)"));
  // An assumption: mdtest file creates on one ldiskfs MDT reach tens of
  // thousands per second on current hardware; calibrate for the real MDS.
  params.push_back(ParamSpec::quantity("mds_rate", Dimension::kOpRate)
                       .def("50K IOPS")
                       .positive()
                       .help("metadata operations per second of one MDS"));
  // Lustre Operations Manual, "Setting the File Layout/Striping
  // Configuration (lfs setstripe)": default stripe_count 1, stripe_size 1 MiB.
  params.push_back(
      ParamSpec::integer("stripe_count")
          .def("1")
          .min(-1)
          .max(2000)
          .help("OSTs a file is striped over; -1: all of them (capped at the OST count)"));
  params.push_back(ParamSpec::quantity("stripe_size", Dimension::kSize)
                       .def("1MiB")
                       .positive()
                       .help("bytes per stripe before the next OST"));
  // An assumption: each NVMe drive formatted as its own OST (ldiskfs on one
  // drive). Production OSSs often build an OST from a RAID group of drives.
  params.push_back(
      ParamSpec::integer("osts_per_server")
          .def("0")
          .min(0)
          .max(1024)
          .help("OSTs per OSS, each an even share of its drives; 0: one OST per drive"));
  // Lustre Operations Manual, "Tuning the Client I/O RPC Stream":
  // osc.*.max_rpcs_in_flight defaults to 8 (range 1 to 256).
  params.push_back(ParamSpec::integer("max_rpcs_in_flight")
                       .def("8")
                       .min(1)
                       .max(256)
                       .help("bulk RPCs in flight per client node and OST (the OSC's limit)"));
  // Lustre Operations Manual, same section: osc.*.max_pages_per_rpc; bulk
  // RPCs default to 4 MiB since Lustre 2.9 (the OST's brw_size), up to 16 MiB.
  params.push_back(ParamSpec::quantity("rpc_size", Dimension::kSize)
                       .def("4MiB")
                       .positive()
                       .help("bytes per bulk RPC (max_pages_per_rpc x page size)"));
  // An assumption: osd-ldiskfs submits an RPC's pages as block requests the
  // block layer splits at the drive's max_sectors_kb, commonly 1 MiB for NVMe.
  params.push_back(ParamSpec::quantity("oss_io_size", Dimension::kSize)
                       .def("1MiB")
                       .positive()
                       .help("request size the OSS writes and reads its drives with"));
  // An assumption: llite + osc/mdc + ptlrpc + LNet software cost per RPC in
  // the kernel client, before the NIC; calibrate with small-file tests.
  params.push_back(ParamSpec::time("client_op_latency")
                       .def("15us")
                       .min(0)
                       .help("the kernel client's fixed cost per RPC (data or metadata)"));
  // An assumption: a ptlrpc request or reply without bulk is a few hundred
  // bytes (message header, body, RPC-specific fields).
  params.push_back(ParamSpec::quantity("message_size", Dimension::kSize)
                       .def("512B")
                       .min(0)
                       .help("bytes of an RPC request or reply (the bulk goes separately)"));
  return ModelSpec{"lustre",
                   "A Lustre-like parallel file system: MDSs with an operation rate, OSSs with "
                   "OSTs, file striping, bulk RPCs with a kernel client cost each.",
                   std::move(params)};
}

STORMSIM_REGISTER_MODEL(LustreFs);

LustreFs::LustreFs(const ComponentContext& ctx)
    : FileSystem(ctx),
      stripe_size_(ctx.params.bytes("stripe_size")),
      rpc_size_(ctx.params.bytes("rpc_size")),
      oss_io_size_(ctx.params.bytes("oss_io_size")),
      message_size_(ctx.params.bytes("message_size")),
      client_latency_(ctx.params.time("client_op_latency")),
      max_rpcs_in_flight_(ctx.params.integer("max_rpcs_in_flight")) {
  if (ctx.params.integer("stripe_count") == 0)
    ctx.params.fail("stripe_count", "a file needs at least one stripe (or -1 for all OSTs)");
  const double rate = ctx.params.quantity("mds_rate");
  for (std::int64_t i = 0; i < ctx.params.integer("mds"); ++i)
    mds_.push_back(std::make_unique<MetadataServer>(engine_, rate));
}

LustreFs::~LustreFs() = default;

void LustreFs::connect(Simulation& sim) {
  StorageService::connect(sim);
  const auto per_server = static_cast<std::size_t>(params_.integer("osts_per_server"));
  std::vector<std::vector<Ost>> by_server(servers().size());
  for (std::size_t s = 0; s < servers().size(); ++s) {
    const auto& drives = drives_of(s).drives;
    const std::size_t n = per_server == 0 ? drives.size() : per_server;
    if (n > drives.size()) {
      params_.fail("osts_per_server",
                   fmt::format("{} OSTs per server, but server `{}` has {} drives", n,
                               cluster().topology().servers()[servers()[s]].name, drives.size()));
    }
    for (std::size_t g = 0; g < n; ++g) {
      Ost o{s, {}};
      for (std::size_t d = g * drives.size() / n; d < (g + 1) * drives.size() / n; ++d)
        o.drives.push_back(drives[d]);
      by_server[s].push_back(std::move(o));
    }
  }
  std::vector<std::size_t> counts;
  for (const auto& v : by_server)
    counts.push_back(v.size());
  for (auto [s, local] : parallel_fs::interleave(counts))
    osts_.push_back(by_server[s][local]);
  if (osts_.empty())
    params_.fail("servers", "the object storage servers have no drives to make OSTs of");
  const std::int64_t count = params_.integer("stripe_count");
  stripe_count_ = count < 0 ? osts_.size()
                            : std::min<std::size_t>(static_cast<std::size_t>(count), osts_.size());

  std::vector<std::uint32_t> mds_servers = servers();
  if (!params_.string_list("mds_servers").empty())
    mds_servers =
        cluster().select_servers(params_.string_list("mds_servers"), params_, "mds_servers");
  for (std::size_t i = 0; i < mds_.size(); ++i)
    mds_vertices_.push_back(cluster().memory_of(mds_servers[i % mds_servers.size()]));
}

std::size_t LustreFs::ost_of(FileId f, std::size_t stripe) const {
  const File& file = const_cast<LustreFs*>(this)->file(f);
  return (file.placement + stripe % stripe_count_) % osts_.size();
}

sim::Bytes LustreFs::bytes_on_object(sim::Bytes offset, sim::Bytes size, std::size_t object) const {
  const double s = stripe_size_.value();
  const double round = s * static_cast<double>(stripe_count_);
  const double start = s * static_cast<double>(object);
  // Bytes of [0, x) on the object: s per full round, plus the part of the
  // last round that reaches its stripe.
  const auto below = [&](double x) {
    const double rounds = std::floor(x / round);
    return rounds * s + std::clamp(x - rounds * round - start, 0.0, s);
  };
  return sim::Bytes(below(offset.value() + size.value()) - below(offset.value()));
}

std::size_t LustreFs::mds_of(const std::string& path) const {
  return parallel_fs::stable_hash(path) % mds_.size();
}

sim::Resource& LustreFs::osc(std::uint32_t client, std::size_t ost) {
  auto& r = oscs_[{client, ost}];
  if (!r)
    r = std::make_unique<sim::Resource>(engine_, max_rpcs_in_flight_);
  return *r;
}

IoShape LustreFs::drive_shape(sim::Bytes bytes) const {
  const sim::Bytes request(std::min(bytes.value(), oss_io_size_.value()));
  // The OSS submits an RPC's block requests together.
  return IoShape{request, std::max(1.0, std::ceil(bytes.value() / oss_io_size_.value())), false};
}

sim::Task<void> LustreFs::metadata_rpc(const Client& c, std::size_t m) {
  if (client_latency_ > sim::Time{})
    co_await engine_.sleep(client_latency_);
  co_await message(c.buffer, mds_vertices_[m], message_size_);
  co_await mds_[m]->op();
  co_await message(mds_vertices_[m], c.buffer, message_size_);
}

sim::Task<void> LustreFs::write_rpc(const Client& c, std::size_t ost, sim::Bytes bytes) {
  sim::Permit slot = co_await osc(c.server, ost).acquire(1);
  ++rpcs_;
  if (client_latency_ > sim::Time{})
    co_await engine_.sleep(client_latency_);
  const Ost& o = osts_[ost];
  const topo::Vertex memory = drives_of(o.server).memory;
  co_await message(c.buffer, memory, message_size_);
  co_await move(c.buffer, memory, bytes);
  const sim::Bytes share = bytes / static_cast<double>(o.drives.size());
  std::vector<sim::Task<void>> writes;
  for (const auto& d : o.drives)
    writes.push_back(write_drive(memory, d, share, drive_shape(share)));
  co_await sim::when_all(std::move(writes));
  co_await message(memory, c.buffer, message_size_);
}

sim::Task<void> LustreFs::read_rpc(const Client& c, std::size_t ost, sim::Bytes bytes) {
  sim::Permit slot = co_await osc(c.server, ost).acquire(1);
  ++rpcs_;
  if (client_latency_ > sim::Time{})
    co_await engine_.sleep(client_latency_);
  const Ost& o = osts_[ost];
  const topo::Vertex memory = drives_of(o.server).memory;
  co_await message(c.buffer, memory, message_size_);
  const sim::Bytes share = bytes / static_cast<double>(o.drives.size());
  std::vector<sim::Task<void>> reads;
  for (const auto& d : o.drives)
    reads.push_back(read_drive(memory, d, share, drive_shape(share)));
  co_await sim::when_all(std::move(reads));
  co_await move(memory, c.buffer, bytes);
}

sim::Task<void> LustreFs::object_io(const Client& c, std::size_t ost, sim::Bytes bytes,
                                    bool write) {
  const double rpc = rpc_size_.value();
  const auto n = static_cast<std::size_t>(std::ceil(bytes.value() / rpc));
  const auto part = [this, &c, ost, bytes, rpc, n, write](std::size_t i) {
    const sim::Bytes b(i + 1 < n ? rpc : bytes.value() - rpc * static_cast<double>(n - 1));
    return write ? write_rpc(c, ost, b) : read_rpc(c, ost, b);
  };
  co_await parallel_fs::bounded(n, static_cast<std::size_t>(max_rpcs_in_flight_), part);
}

sim::Task<void> LustreFs::io(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size,
                             bool write) {
  std::vector<sim::Task<void>> objects;
  for (std::size_t j = 0; j < stripe_count_; ++j) {
    const sim::Bytes b = bytes_on_object(offset, size, j);
    if (b.value() > 0)
      objects.push_back(object_io(c, ost_of(f, j), b, write));
  }
  co_await sim::when_all(std::move(objects));
}

sim::Task<FileId> LustreFs::create(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await metadata_rpc(c, mds_of(path));
  const FileId id = add(path, next_ost_);
  next_ost_ += stripe_count_;
  count(Op::kCreate, t0);
  co_return id;
}

sim::Task<FileId> LustreFs::open(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await metadata_rpc(c, mds_of(path));
  const FileId id = id_of(path);
  count(Op::kOpen, t0);
  co_return id;
}

sim::Task<void> LustreFs::write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time t0 = engine_.now();
  file(f);  // a StorageError before any byte moves if f is not open
  co_await io(c, f, offset, size, true);
  File& file_ref = file(f);
  file_ref.size = sim::Bytes(std::max(file_ref.size.value(), offset.value() + size.value()));
  count(Op::kWrite, t0, size);
}

sim::Task<void> LustreFs::read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time t0 = engine_.now();
  const double end = std::min(offset.value() + size.value(), file(f).size.value());
  const sim::Bytes got(std::max(0.0, end - offset.value()));
  co_await io(c, f, offset, got, false);
  count(Op::kRead, t0, got);
}

sim::Task<void> LustreFs::fsync(const Client& c, FileId f) {
  const sim::Time t0 = engine_.now();
  co_await metadata_rpc(c, mds_of(file(f).path));
  count(Op::kFsync, t0);
}

sim::Task<void> LustreFs::close(const Client& c, FileId f) {
  const sim::Time t0 = engine_.now();
  co_await metadata_rpc(c, mds_of(file(f).path));
  count(Op::kClose, t0);
}

sim::Task<void> LustreFs::remove(const Client& c, std::string path) {
  const sim::Time t0 = engine_.now();
  co_await metadata_rpc(c, mds_of(path));
  forget(path);
  count(Op::kRemove, t0);
}

sim::Task<std::vector<std::string>> LustreFs::list(const Client& c, std::string prefix) {
  const sim::Time t0 = engine_.now();
  std::vector<sim::Task<void>> shards;
  for (std::size_t m = 0; m < mds_.size(); ++m)
    shards.push_back(metadata_rpc(c, m));
  co_await sim::when_all(std::move(shards));
  count(Op::kList, t0);
  co_return paths_with_prefix(prefix);
}

std::string LustreFs::describe() const {
  return fmt::format(
      "Lustre-like: {} OSTs on {} OSSs, stripe {} x {}, {} MDS at {:.0f} ops/s, {} x {} RPCs in "
      "flight per OST, {} client cost per RPC, no file-system-level protection",
      osts_.size(), servers().size(), stripe_count_, sim::to_string(stripe_size_), mds_.size(),
      mds_.empty() ? 0.0 : mds_[0]->rate(), max_rpcs_in_flight_, sim::to_string(rpc_size_),
      sim::to_string(client_latency_));
}

nlohmann::json LustreFs::metrics(sim::Time end) const {
  nlohmann::json m = StorageService::metrics(end);
  nlohmann::json mds = nlohmann::json::array();
  for (const auto& s : mds_) {
    const double busy = static_cast<double>(s->operations()) / s->rate();
    mds.push_back(
        {{"operations", s->operations()},
         {"utilization", end.seconds() > 0 ? busy / end.seconds() : 0.0},
         {"mean_latency_s", s->latency().count() > 0 ? s->latency().mean() * 1e-9 : 0.0}});
  }
  m["mds"] = mds;
  m["osts"] = osts_.size();
  m["stripe_count"] = stripe_count_;
  m["bulk_rpcs"] = rpcs_;
  return m;
}

}  // namespace stormsim::models::storage

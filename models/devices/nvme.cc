#include "models/devices/nvme.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/devices/nvme_queue.h"
#include "models/registry.h"
#include "sim/config/error.h"

namespace stormsim::models {

using devices::IoOp;
using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec Nvme::spec() {
  return ModelSpec{
      "nvme",
      "An NVMe drive: read/write bandwidth, latency by request size and queue depth, IOPS "
      "limits, a write cache with a cliff behind it, capacity; or a fitted `profile:`.",
      {
          ParamSpec::string_list("on").def("[]").help(
              "drives (storage_drives, gpu_drives, a server or a vertex); [] takes every drive "
              "no other nvme component claims"),
          ParamSpec::string("profile").def("").help(
              "a device profile YAML from `stormsim fit` (relative to the scenario file); its "
              "curves replace the parameters below"),
          // Samsung PM1743 (PCIe 5.0, 15.36 TB), Samsung Newsroom, 2021-12-21:
          // 13,000 MB/s sequential read, 6,600 MB/s sequential write,
          // 2,500K random read IOPS, 250K random write IOPS.
          ParamSpec::quantity("read_bandwidth", Dimension::kDataRate)
              .def("13000MB/s")
              .positive()
              .help("sequential read bandwidth"),
          ParamSpec::quantity("write_bandwidth", Dimension::kDataRate)
              .def("6600MB/s")
              .positive()
              .help("sequential write bandwidth (into the write cache, if any)"),
          ParamSpec::quantity("read_iops", Dimension::kOpRate)
              .def("2500K IOPS")
              .positive()
              .help("random read IOPS limit (small requests)"),
          ParamSpec::quantity("write_iops", Dimension::kOpRate)
              .def("250K IOPS")
              .positive()
              .help("random write IOPS limit (small requests)"),
          // An assumption typical of enterprise TLC NVMe datasheets (QD1
          // 4 KiB: reads ~80 us from NAND, writes ~20 us into the drive's
          // power-protected DRAM); calibrate with `stormsim probe` + `fit`.
          ParamSpec::time("read_latency")
              .def("80us")
              .min(0)
              .help("unloaded latency of a small read (queue depth 1)"),
          ParamSpec::time("write_latency")
              .def("20us")
              .min(0)
              .help("unloaded latency of a small write (queue depth 1)"),
          // Enterprise datasheets rate sustained (SNIA PTS steady-state)
          // writes, so there is no cliff by default; consumer drives have an
          // SLC cache of tens to hundreds of GB.
          ParamSpec::quantity("write_cache", Dimension::kSize)
              .def("0B")
              .min(0)
              .help("write cache (SLC) size; after this many bytes the write cliff; 0: none"),
          ParamSpec::quantity("steady_write_bandwidth", Dimension::kDataRate)
              .def("1GB/s")
              .positive()
              .help("write bandwidth once the write cache is full"),
          // Samsung PM1743 product page: 15.36 TB.
          ParamSpec::quantity("capacity", Dimension::kSize)
              .def("15.36TB")
              .positive()
              .help("usable capacity"),
      }};
}

STORMSIM_REGISTER_MODEL(Nvme);

namespace {

devices::NvmeProfile profile_from(const sim::config::Params& p) {
  devices::NvmeProfile prof;
  const auto curve = [&](const char* bw, const char* iops, const char* lat) {
    devices::IoCurve c;
    c.base_latency = p.time(lat);
    c.transfer_rate = p.data_rate(bw);
    c.max_iops = p.quantity(iops);
    c.max_bandwidth = p.data_rate(bw);
    return c;
  };
  prof.curve(IoOp::kRead) = curve("read_bandwidth", "read_iops", "read_latency");
  prof.curve(IoOp::kRandRead) = prof.curve(IoOp::kRead);
  prof.curve(IoOp::kWrite) = curve("write_bandwidth", "write_iops", "write_latency");
  prof.curve(IoOp::kRandWrite) = prof.curve(IoOp::kWrite);
  if (p.bytes("write_cache").value() > 0) {
    prof.cliff = devices::WriteCliff{p.bytes("write_cache"), p.data_rate("write_bandwidth"),
                                     p.data_rate("steady_write_bandwidth")};
  }
  prof.capacity = p.bytes("capacity");
  return prof;
}

std::string resolve_path(const std::string& path, const sim::config::Params& p,
                         std::string_view key) {
  std::filesystem::path f(path);
  if (f.is_relative()) {
    const std::filesystem::path base(p.location(key).file);
    if (base.has_parent_path() && std::filesystem::exists(base.parent_path() / f))
      f = base.parent_path() / f;
  }
  if (!std::filesystem::exists(f))
    p.fail(key, fmt::format("no profile file `{}`", path));
  return f.string();
}

}  // namespace

Nvme::Nvme(const ComponentContext& ctx)
    : Device(ctx), params_(ctx.params), engine_(ctx.engine), profile_(profile_from(ctx.params)) {
  if (const std::string& path = params_.string("profile"); !path.empty()) {
    devices::DeviceProfile loaded =
        devices::load_device_profile(resolve_path(path, params_, "profile"));
    if (!loaded.nvme)
      params_.fail("profile", fmt::format("profile `{}` has no nvme section", path));
    profile_ = *loaded.nvme;
    if (profile_.capacity.value() <= 0)
      profile_.capacity = params_.bytes("capacity");
  }
  if (profile_.cliff && profile_.cliff->after.value() > profile_.cliff->before.value()) {
    params_.fail("steady_write_bandwidth",
                 "a write cliff goes down: steady_write_bandwidth must not exceed "
                 "write_bandwidth");
  }
}

Nvme::~Nvme() = default;

void Nvme::bind(Cluster& cluster) {
  cluster_ = &cluster;
  const auto& on = params_.string_list("on");
  const std::vector<topo::Vertex> vs =
      on.empty() ? cluster.unbound(topo::VertexKind::kDrive)
                 : cluster.select(on, topo::VertexKind::kDrive, params_, "on");
  drives_.resize(vs.size());
  const topo::Topology& t = cluster.topology();
  const sim::BytesPerSec write_cap =
      profile_.cliff ? profile_.cliff->before : profile_.curve(IoOp::kWrite).max_bandwidth;
  for (std::uint32_t i = 0; i < vs.size(); ++i) {
    cluster.bind_vertex(vs[i], *this, i, params_, "on");
    Drive& d = drives_[i];
    d.vertex = vs[i];
    d.read = cluster.flows().add_constraint(profile_.curve(IoOp::kRead).max_bandwidth,
                                            t.vertex_name(vs[i]) + ".media.read");
    d.write = cluster.flows().add_constraint(write_cap, t.vertex_name(vs[i]) + ".media.write");
  }
}

sim::Task<void> Nvme::write_from(topo::Vertex src, std::uint32_t index, sim::Bytes bytes,
                                 IoShape shape, MoveOptions options) {
  const IoOp op = shape.random ? IoOp::kRandWrite : IoOp::kWrite;
  Drive& d = drives_.at(index);
  const sim::flow::ConstraintId media[] = {d.write};
  std::vector<sim::flow::ConstraintId> extra(options.extra.begin(), options.extra.end());
  extra.push_back(media[0]);
  options.extra = extra;
  options.extra_latency += profile_.curve(op).unloaded_latency(shape.request);
  options.max_rate = std::min(options.max_rate, stream_cap(op, shape, d.write));
  start_writing(index);
  struct Done {
    Drive& d;
    ~Done() { --d.writers; }
  } done{d};
  co_await cluster_->move(src, d.vertex, bytes, options);
}

sim::Task<void> Nvme::read_to(topo::Vertex dst, std::uint32_t index, sim::Bytes bytes,
                              IoShape shape, MoveOptions options) {
  const IoOp op = shape.random ? IoOp::kRandRead : IoOp::kRead;
  Drive& d = drives_.at(index);
  std::vector<sim::flow::ConstraintId> extra(options.extra.begin(), options.extra.end());
  extra.push_back(d.read);
  options.extra = extra;
  options.extra_latency += profile_.curve(op).unloaded_latency(shape.request);
  options.max_rate = std::min(options.max_rate, stream_cap(op, shape, d.read));
  co_await cluster_->move(d.vertex, dst, bytes, options);
}

sim::BytesPerSec Nvme::stream_cap(IoOp op, const IoShape& shape,
                                  sim::flow::ConstraintId media) const {
  // The service curve's rate for this request size and depth; where that is
  // just the media bandwidth, the media constraint itself is the limit (so
  // the result names it as the bottleneck) and no cap is needed.
  const sim::BytesPerSec curve = profile_.bandwidth(op, shape.request, shape.queue_depth);
  if (curve.value() >= cluster_->flows().capacity(media).value() * (1 - 1e-9))
    return sim::BytesPerSec(std::numeric_limits<double>::infinity());
  return curve;
}

sim::Task<void> Nvme::request(std::uint32_t index, IoOp op, sim::Bytes size) {
  Drive& d = drives_.at(index);
  if (!d.queue)
    d.queue = std::make_unique<devices::NvmeQueue>(engine_, profile_,
                                                   cluster_->topology().vertex_name(d.vertex));
  co_await d.queue->submit(op, size);
}

void Nvme::start_writing(std::uint32_t index) {
  Drive& d = drives_[index];
  ++d.writers;
  if (profile_.cliff && !d.cliffed && !d.watching) {
    d.watching = true;
    engine_.spawn(watch_cliff(index), "nvme.cliff");
  }
}

// Wakes when the cache could be full at the media's full rate (never later
// than the moment it fills), and again until it has: at the instant the
// written bytes reach the cache size, the write capacity drops.
sim::Task<void> Nvme::watch_cliff(std::uint32_t index) {
  Drive& d = drives_[index];
  const sim::flow::FlowSystem& flows = cluster_->flows();
  const double cache = profile_.cliff->cache.value();
  for (;;) {
    const double remaining = cache - flows.usage(d.write).bytes.value();
    if (remaining <= 1.0) {
      cluster_->flows().set_capacity(d.write, profile_.cliff->after);
      d.cliffed = true;
      d.cliff_at = engine_.now();
      break;
    }
    if (d.writers == 0)
      break;
    const double cap = flows.capacity(d.write).value();
    const auto ns = static_cast<std::int64_t>(std::ceil(remaining / cap * 1e9));
    co_await engine_.sleep(sim::Time::from_ns(std::max<std::int64_t>(ns, 1)));
  }
  d.watching = false;
}

sim::Bytes Nvme::written(std::uint32_t index) const {
  return cluster_->flows().usage(drives_.at(index).write).bytes;
}

sim::Bytes Nvme::read_bytes(std::uint32_t index) const {
  return cluster_->flows().usage(drives_.at(index).read).bytes;
}

nlohmann::json Nvme::metrics(sim::Time /*end*/) const {
  double w = 0, r = 0;
  std::size_t cliffed = 0;
  if (cluster_ != nullptr) {
    for (std::uint32_t i = 0; i < drives_.size(); ++i) {
      w += written(i).value();
      r += read_bytes(i).value();
      cliffed += drives_[i].cliffed ? 1 : 0;
    }
  }
  nlohmann::json m = {{"drives", drives_.size()},
                      {"written_bytes", w},
                      {"read_bytes", r},
                      {"capacity_bytes", profile_.capacity.value() * drives_.size()}};
  if (profile_.cliff)
    m["past_write_cliff"] = cliffed;
  return m;
}

}  // namespace stormsim::models

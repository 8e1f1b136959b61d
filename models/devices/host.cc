#include "models/devices/host.h"

#include <fmt/format.h>

#include "models/registry.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

std::string_view name(CpuWork w) {
  switch (w) {
    case CpuWork::kTcp:
      return "tcp";
    case CpuWork::kChecksum:
      return "checksum";
    case CpuWork::kSerialize:
      return "serialize";
    case CpuWork::kErasure:
      return "erasure";
  }
  return "?";
}

ModelSpec Host::spec() {
  return ModelSpec{
      "host",
      "A server's DRAM, pinned staging buffers and CPU cores with per-byte costs.",
      {
          ParamSpec::string_list("on").def("[]").help(
              "servers (names or groups such as gpu_servers); [] takes every server no other "
              "host component claims"),
          // NVIDIA DGX H100 datasheet: 2 TB system memory.
          ParamSpec::quantity("dram", Dimension::kSize).def("2TB").positive().help("DRAM capacity"),
          // An assumption: a quarter of DGX H100 DRAM pinned for checkpoint
          // staging, 64 GiB per GPU x 8.
          ParamSpec::quantity("staging_buffer", Dimension::kSize)
              .def("512GiB")
              .positive()
              .help("pinned host memory for GPU-to-host copies (checkpoint staging)"),
          // NVIDIA DGX H100 datasheet: 2 x Intel Xeon Platinum 8480C, 56 cores
          // each; an assumption that a quarter of them serve storage I/O.
          ParamSpec::integer("cores").def("28").min(1).max(100000).help(
              "CPU cores available to the storage data path"),
          // Cai et al., "Understanding host network stack overheads",
          // SIGCOMM 2021: one core sustains about 42 Gb/s of TCP receive with
          // TSO/GRO, jumbo frames and aRFS.
          ParamSpec::quantity("tcp_rate", Dimension::kDataRate)
              .def("42Gbps")
              .positive()
              .help("TCP/HTTP bytes one core processes per second (each end)"),
          // Intel, "Fast CRC computation for iSCSI polynomial using CRC32
          // instruction" (2011): about 3 bytes per cycle; 3 B/cycle x 2 GHz.
          ParamSpec::quantity("checksum_rate", Dimension::kDataRate)
              .def("6GB/s")
              .positive()
              .help("CRC32C checksum bytes per second per core"),
          // An assumption: torch.save-style serialization into pinned memory
          // runs at roughly memcpy speed of one core (~5 GB/s); calibrate.
          ParamSpec::quantity("serialize_rate", Dimension::kDataRate)
              .def("5GB/s")
              .positive()
              .help("serialization bytes per second per core"),
          // Intel ISA-L erasure-code benchmarks: Reed-Solomon encode runs at
          // several GB/s per core with AVX2/AVX-512; 4 GB/s for 8+3 is an
          // assumption in that range. Calibrate for the actual k+m.
          ParamSpec::quantity("erasure_rate", Dimension::kDataRate)
              .def("4GB/s")
              .positive()
              .help("erasure-coding (encode or decode) bytes per second per core"),
      }};
}

STORMSIM_REGISTER_MODEL(Host);

Host::Host(const ComponentContext& ctx)
    : Device(ctx),
      params_(ctx.params),
      engine_(ctx.engine),
      dram_(ctx.params.bytes("dram")),
      staging_(ctx.params.bytes("staging_buffer")),
      cores_(ctx.params.integer("cores")),
      per_core_{ctx.params.data_rate("tcp_rate"), ctx.params.data_rate("checksum_rate"),
                ctx.params.data_rate("serialize_rate"), ctx.params.data_rate("erasure_rate")} {
  if (staging_.value() > dram_.value()) {
    params_.fail("staging_buffer", fmt::format("{} of staging does not fit in {} of DRAM",
                                               sim::to_string(staging_), sim::to_string(dram_)));
  }
}

Host::~Host() = default;

void Host::bind(Cluster& cluster) {
  cluster_ = &cluster;
  const auto& on = params_.string_list("on");
  servers_ = on.empty() ? cluster.unbound_servers(true) : cluster.select_servers(on, params_, "on");
  for (std::uint32_t i = 0; i < servers_.size(); ++i)
    cluster.bind_server(servers_[i], *this, i, params_, "on");
  state_.resize(servers_.size());
}

sim::flow::ConstraintId Host::cpu(std::uint32_t index, CpuWork w) {
  PerServer& s = state_.at(index);
  const auto k = static_cast<std::size_t>(w);
  if (!s.has[k]) {
    const std::string& server = cluster_->topology().servers()[servers_[index]].name;
    s.cpu[k] = cluster_->flows().add_constraint(per_core_[k] * static_cast<double>(cores_),
                                                fmt::format("{}/cpu.{}", server, models::name(w)));
    s.has[k] = true;
  }
  return s.cpu[k];
}

sim::Resource& Host::staging(std::uint32_t index) {
  PerServer& s = state_.at(index);
  if (!s.staging)
    s.staging =
        std::make_unique<sim::Resource>(engine_, static_cast<std::int64_t>(staging_.value()));
  return *s.staging;
}

sim::Task<void> Host::process(std::uint32_t index, CpuWork w, sim::Bytes bytes, int threads) {
  const sim::flow::ConstraintId c = cpu(index, w);
  const sim::flow::ConstraintId path[] = {c};
  co_await cluster_->flows().transfer(
      path, bytes,
      {.max_rate = per_core_[static_cast<std::size_t>(w)] * static_cast<double>(threads)});
}

nlohmann::json Host::metrics(sim::Time end) const {
  nlohmann::json cpu = nlohmann::json::object();
  if (cluster_ != nullptr) {
    for (std::size_t k = 0; k < kCpuWorkKinds; ++k) {
      double bytes = 0, busiest = 0;
      for (const PerServer& s : state_) {
        if (!s.has[k])
          continue;
        const auto u = cluster_->flows().usage(s.cpu[k]);
        bytes += u.bytes.value();
        busiest = std::max(busiest, u.bottleneck_time.seconds());
      }
      if (bytes > 0) {
        cpu[std::string(models::name(static_cast<CpuWork>(k)))] = {
            {"bytes", bytes},
            {"max_bottleneck_s", busiest},
            {"core_seconds", bytes / per_core_[k].value()}};
      }
    }
  }
  (void)end;
  return {{"servers", servers_.size()}, {"cpu", cpu}};
}

}  // namespace stormsim::models

#include "models/devices/gpu.h"

#include "models/registry.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec Gpu::spec() {
  return ModelSpec{
      "gpu",
      "A GPU: HBM capacity, device-to-host copy engines over PCIe, training step time.",
      {
          ParamSpec::string_list("on").def("[]").help(
              "GPUs (gpus, a server or a vertex); [] takes every GPU no other gpu component "
              "claims"),
          // NVIDIA H100 SXM5 datasheet: 80 GB HBM3.
          ParamSpec::quantity("hbm", Dimension::kSize).def("80GB").positive().help("HBM capacity"),
          // NVIDIA H100 datasheet / CUDA C Programming Guide: copy engines run
          // host-device copies concurrently with kernels; an assumption of 2
          // used for device-to-host copies at once.
          ParamSpec::integer("copy_engines")
              .def("2")
              .min(1)
              .max(64)
              .help("copy engines usable for device-to-host copies at once"),
          // An assumption: cudaMemcpy from pinned memory reaches about 85% of
          // a PCIe Gen5 x16 link (63 GB/s); calibrate with `stormsim probe`.
          ParamSpec::quantity("pinned_rate", Dimension::kDataRate)
              .def("53GB/s")
              .positive()
              .help("device-to-host rate of one copy engine from pinned memory"),
          // An assumption: pageable copies bounce through a driver buffer at
          // roughly a quarter of the pinned rate; calibrate.
          ParamSpec::quantity("pageable_rate", Dimension::kDataRate)
              .def("13GB/s")
              .positive()
              .help("device-to-host rate of one copy engine into pageable memory"),
          // An assumption: a large-model training step of a few seconds
          // (Llama 3 405B: about 16M tokens per step, Dubey et al. 2024).
          ParamSpec::time("step_time")
              .def("5s")
              .positive()
              .help("training step time: checkpoints overlap with or stall training"),
      }};
}

STORMSIM_REGISTER_MODEL(Gpu);

Gpu::Gpu(const ComponentContext& ctx)
    : Device(ctx),
      params_(ctx.params),
      hbm_(ctx.params.bytes("hbm")),
      engines_(static_cast<int>(ctx.params.integer("copy_engines"))),
      pinned_rate_(ctx.params.data_rate("pinned_rate")),
      pageable_rate_(ctx.params.data_rate("pageable_rate")),
      step_time_(ctx.params.time("step_time")),
      engine_(ctx.engine) {}

void Gpu::bind(Cluster& cluster) {
  cluster_ = &cluster;
  const auto& on = params_.string_list("on");
  vertices_ = on.empty() ? cluster.unbound(topo::VertexKind::kGpu)
                         : cluster.select(on, topo::VertexKind::kGpu, params_, "on");
  for (std::uint32_t i = 0; i < vertices_.size(); ++i)
    cluster.bind_vertex(vertices_[i], *this, i, params_, "on");
  engine_slots_.resize(vertices_.size());
}

sim::Resource& Gpu::engines(std::uint32_t index) {
  auto& slot = engine_slots_.at(index);
  if (!slot)
    slot = std::make_unique<sim::Resource>(engine_, engines_);
  return *slot;
}

sim::Task<void> Gpu::copy_to_host(std::uint32_t index, sim::Bytes bytes, bool pinned) {
  const topo::Vertex v = vertices_.at(index);
  const topo::Vertex mem = cluster_->memory_of(cluster_->topology().server_of(v));
  copied_bytes_ += bytes.value();
  sim::Permit engine = co_await engines(index).acquire(1);
  co_await cluster_->move(v, mem, bytes, {.max_rate = copy_rate(pinned)});
}

sim::Task<void> Gpu::copy_from_host(std::uint32_t index, sim::Bytes bytes, bool pinned) {
  const topo::Vertex v = vertices_.at(index);
  const topo::Vertex mem = cluster_->memory_of(cluster_->topology().server_of(v));
  copied_bytes_ += bytes.value();
  sim::Permit engine = co_await engines(index).acquire(1);
  co_await cluster_->move(mem, v, bytes, {.max_rate = copy_rate(pinned)});
}

nlohmann::json Gpu::metrics(sim::Time /*end*/) const {
  return {{"gpus", vertices_.size()}, {"copied_bytes", copied_bytes_}};
}

}  // namespace stormsim::models

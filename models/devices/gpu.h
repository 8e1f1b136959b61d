// GPU: HBM capacity, device-to-host copy engines and a training step time.
//
// A device-to-host copy is a flow from the GPU over its PCIe path into host
// memory, capped at the copy engines' rate for pinned or pageable memory, so
// it competes for PCIe with the NICs and drives behind the same switch. A
// copy runs on one copy engine at the engine's rate; `copy_engines` copies
// of one GPU run at once.
#pragma once

#include <memory>
#include <vector>

#include "models/cluster.h"
#include "sim/sync.h"

namespace stormsim::models {

class Gpu : public Device {
 public:
  static sim::config::ModelSpec spec();
  explicit Gpu(const ComponentContext& ctx);

  void bind(Cluster& cluster) override;

  sim::Bytes hbm() const { return hbm_; }
  sim::Time step_time() const { return step_time_; }
  sim::BytesPerSec copy_rate(bool pinned) const { return pinned ? pinned_rate_ : pageable_rate_; }
  std::size_t size() const { return vertices_.size(); }
  topo::Vertex vertex(std::uint32_t index) const { return vertices_[index]; }

  // Copies `bytes` from GPU `index` into its own host's memory.
  sim::Task<void> copy_to_host(std::uint32_t index, sim::Bytes bytes, bool pinned = true);
  // Copies `bytes` from host memory into GPU `index` (a restore).
  sim::Task<void> copy_from_host(std::uint32_t index, sim::Bytes bytes, bool pinned = true);
  // The copy engines of GPU `index`: a copy holds one while it runs.
  sim::Resource& engines(std::uint32_t index);

  nlohmann::json metrics(sim::Time end) const override;

 private:
  sim::config::Params params_;
  Cluster* cluster_ = nullptr;
  sim::Bytes hbm_;
  int engines_;
  sim::BytesPerSec pinned_rate_;
  sim::BytesPerSec pageable_rate_;
  sim::Time step_time_;
  std::vector<topo::Vertex> vertices_;
  std::vector<std::unique_ptr<sim::Resource>> engine_slots_;
  sim::Engine& engine_;
  double copied_bytes_ = 0;
};

}  // namespace stormsim::models

// Host: a server's DRAM, pinned staging buffers and CPU cores.
//
// CPU work that scales with bytes (TCP/HTTP processing, checksums,
// serialization) is a bandwidth constraint per host and kind of work:
// `cores` x the per-core rate. A single stream of such work runs on one core,
// so its rate is also capped at the per-core rate; a CPU-bound client shows
// up in the result as the host's CPU constraint, saturated.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/cluster.h"
#include "sim/sync.h"

namespace stormsim::models {

enum class CpuWork : std::uint8_t { kTcp, kChecksum, kSerialize, kErasure };
inline constexpr std::size_t kCpuWorkKinds = 4;
std::string_view name(CpuWork w);

class Host : public Device {
 public:
  static sim::config::ModelSpec spec();
  explicit Host(const ComponentContext& ctx);
  ~Host() override;

  void bind(Cluster& cluster) override;

  sim::Bytes dram() const { return dram_; }
  sim::Bytes staging_buffer() const { return staging_; }
  std::int64_t cores() const { return cores_; }
  // One core's rate for a kind of work.
  sim::BytesPerSec rate_per_core(CpuWork w) const { return per_core_[static_cast<int>(w)]; }
  // The constraint of bound server `index` for kind `w` (created on first use).
  sim::flow::ConstraintId cpu(std::uint32_t index, CpuWork w);
  // Pinned staging space of bound server `index`, in bytes: a GPU-to-host
  // copy holds its bytes until the data has left host memory.
  sim::Resource& staging(std::uint32_t index);
  std::uint32_t server(std::uint32_t index) const { return servers_[index]; }
  std::size_t size() const { return servers_.size(); }

  // Byte-proportional CPU work on bound server `index` with `threads` cores
  // working in parallel (e.g. checksumming a shard).
  sim::Task<void> process(std::uint32_t index, CpuWork w, sim::Bytes bytes, int threads = 1);

  nlohmann::json metrics(sim::Time end) const override;

 private:
  struct PerServer {
    std::array<sim::flow::ConstraintId, kCpuWorkKinds> cpu{};
    std::array<bool, kCpuWorkKinds> has{};
    std::unique_ptr<sim::Resource> staging;
  };
  sim::config::Params params_;
  sim::Engine& engine_;
  Cluster* cluster_ = nullptr;
  sim::Bytes dram_;
  sim::Bytes staging_;
  std::int64_t cores_;
  std::array<sim::BytesPerSec, kCpuWorkKinds> per_core_;
  std::vector<std::uint32_t> servers_;
  std::vector<PerServer> state_;
};

}  // namespace stormsim::models

// NVMe drive: media bandwidth, latency by request size and queue depth,
// a write cache with a cliff behind it, and capacity.
//
// Two views of one drive. Streams (checkpoint shards, object parts) are
// flows through the drive's media constraints, one for reads and one for
// writes, next to the PCIe and network links on their path; a stream issued
// as requests of size r at queue depth q is also capped at the rate the
// drive's service curve gives for (r, q), and its first byte lands after one
// request's latency. Single requests (the probe's matrix, metadata IO) go
// through a request-level queue (NvmeQueue). Both use the same profile:
// from the parameters below (datasheet defaults) or a fitted `profile:`.
//
// The write cliff: once `write_cache` bytes have been written, the media's
// write capacity drops from `write_bandwidth` to `steady_write_bandwidth`,
// at the instant the cache fills.
#pragma once

#include <memory>
#include <vector>

#include "models/cluster.h"
#include "models/devices/profile.h"

namespace stormsim::models {

namespace devices {
class NvmeQueue;
}

// How a stream is issued: request size and queue depth.
struct IoShape {
  sim::Bytes request{1 << 20};
  double queue_depth = 32;
  bool random = false;
};

class Nvme : public Device {
 public:
  static sim::config::ModelSpec spec();
  explicit Nvme(const ComponentContext& ctx);
  ~Nvme() override;

  void bind(Cluster& cluster) override;

  const devices::NvmeProfile& profile() const { return profile_; }
  std::size_t size() const { return drives_.size(); }
  topo::Vertex vertex(std::uint32_t index) const { return drives_[index].vertex; }
  sim::Bytes capacity() const { return profile_.capacity; }

  // Moves `bytes` from `src` onto drive `index` (a write) or from the drive
  // to `dst` (a read), over the topology route plus the drive's media.
  sim::Task<void> write_from(topo::Vertex src, std::uint32_t index, sim::Bytes bytes,
                             IoShape shape = {}, MoveOptions options = {});
  sim::Task<void> read_to(topo::Vertex dst, std::uint32_t index, sim::Bytes bytes,
                          IoShape shape = {}, MoveOptions options = {});
  // One request through the request-level queue of drive `index`.
  sim::Task<void> request(std::uint32_t index, devices::IoOp op, sim::Bytes size);

  sim::flow::ConstraintId media(std::uint32_t index, bool write) const {
    return write ? drives_[index].write : drives_[index].read;
  }
  // Whether drive `index`'s write cache has filled.
  bool past_cliff(std::uint32_t index) const { return drives_[index].cliffed; }
  sim::Time cliff_time(std::uint32_t index) const { return drives_[index].cliff_at; }
  // Bytes written to / read from drive `index` so far.
  sim::Bytes written(std::uint32_t index) const;
  sim::Bytes read_bytes(std::uint32_t index) const;

  nlohmann::json metrics(sim::Time end) const override;

 private:
  struct Drive {
    topo::Vertex vertex = 0;
    sim::flow::ConstraintId read = 0, write = 0;
    int writers = 0;
    bool watching = false;
    bool cliffed = false;
    sim::Time cliff_at{};
    std::unique_ptr<devices::NvmeQueue> queue;
  };
  void start_writing(std::uint32_t index);
  sim::BytesPerSec stream_cap(devices::IoOp op, const IoShape& shape,
                              sim::flow::ConstraintId media) const;
  sim::Task<void> watch_cliff(std::uint32_t index);

  sim::config::Params params_;
  sim::Engine& engine_;
  Cluster* cluster_ = nullptr;
  devices::NvmeProfile profile_;
  std::vector<Drive> drives_;
};

}  // namespace stormsim::models

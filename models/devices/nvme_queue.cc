#include "models/devices/nvme_queue.h"

#include <algorithm>

namespace stormsim::models::devices {

NvmeQueue::NvmeQueue(sim::Engine& engine, const NvmeProfile& profile, const std::string& name)
    : engine_(engine), profile_(profile), rng_(engine.rng("nvme/" + name)) {}

bool NvmeQueue::past_cliff() const {
  return profile_.cliff && written_ >= profile_.cliff->cache.value();
}

sim::Time NvmeQueue::service_time(IoOp op, sim::Bytes request) const {
  IoCurve c = profile_.curve(op);
  if (is_write(op) && past_cliff())
    c.max_bandwidth = c.max_bandwidth * (profile_.cliff->after / profile_.cliff->before);
  return sim::Time::from_seconds(1.0 / c.saturated_iops(request));
}

sim::Task<void> NvmeQueue::submit(IoOp op, sim::Bytes request) {
  const sim::Time now = engine_.now();
  const IoCurve& c = profile_.curve(op);
  busy_until_ = std::max(busy_until_, now) + service_time(op, request);
  if (is_write(op))
    written_ += request.value();
  const sim::Time issued = now + profile_.submit_overhead;
  sim::Time done = std::max(issued + c.body_latency(request), busy_until_);
  if (c.tail_fraction > 0 && rng_.bernoulli(c.tail_fraction))
    done = issued + (done - issued) * (1.0 + c.tail_scale);
  co_await engine_.sleep_until(done);
  ++completed_;
}

}  // namespace stormsim::models::devices

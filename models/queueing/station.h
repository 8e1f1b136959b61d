// Station: a multi-server FIFO queue (a G/G/c station).
#pragma once

#include "models/component.h"
#include "models/queueing/request_sink.h"
#include "sim/random.h"
#include "sim/stats/counter.h"
#include "sim/stats/hdr_histogram.h"
#include "sim/stats/time_weighted.h"
#include "sim/sync.h"

namespace stormsim::models {

// `servers` identical servers behind one FIFO queue. A request of `size`
// bytes needs latency + size / bandwidth of service, fixed or drawn from an
// exponential distribution with that mean. The closed forms of M/D/1 and
// M/M/c queues check it.
class Station : public Component, public RequestSink {
 public:
  static sim::config::ModelSpec spec();
  explicit Station(const ComponentContext& ctx);

  sim::Task<void> serve(sim::Bytes size) override;

  // The mean service time of a request of `size` bytes.
  sim::Time mean_service_time(sim::Bytes size) const;
  std::int64_t servers() const { return servers_.capacity(); }
  const sim::stats::HdrHistogram& response_times() const { return response_; }
  const sim::stats::HdrHistogram& waiting_times() const { return waiting_; }
  const sim::stats::Counter& completed() const { return completed_; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  sim::Engine& engine_;
  sim::Resource servers_;
  sim::Time latency_;
  sim::BytesPerSec bandwidth_;
  bool exponential_;
  sim::Rng& rng_;
  sim::stats::TimeWeighted busy_;
  sim::stats::TimeWeighted queued_;
  sim::stats::HdrHistogram response_;
  sim::stats::HdrHistogram waiting_;
  sim::stats::Counter completed_;  // count: requests, sum: bytes
};

}  // namespace stormsim::models

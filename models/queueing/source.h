// Source: an open-loop generator of requests.
#pragma once

#include "models/component.h"
#include "models/queueing/request_sink.h"
#include "sim/random.h"

namespace stormsim::models {

// Issues requests of a fixed size to a target at a given rate, with Poisson
// (exponential gaps) or fixed-interval arrivals, each served concurrently:
// an open loop, so a saturated target builds a queue instead of slowing the
// source.
class Source : public Component {
 public:
  static sim::config::ModelSpec spec();
  explicit Source(const ComponentContext& ctx);

  void connect(Simulation& simulation) override;
  void start() override;
  std::uint64_t issued() const { return issued_; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  sim::Task<void> generate();
  sim::Time next_gap();

  sim::Engine& engine_;
  sim::config::Params params_;
  RequestSink* target_ = nullptr;
  double rate_;
  bool poisson_;
  sim::Bytes size_;
  std::uint64_t count_;
  sim::Time start_;
  sim::Rng& rng_;
  std::uint64_t issued_ = 0;
};

}  // namespace stormsim::models

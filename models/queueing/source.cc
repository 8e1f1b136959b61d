#include "models/queueing/source.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "models/simulation.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

STORMSIM_REGISTER_MODEL(Source);

ModelSpec Source::spec() {
  return ModelSpec{
      "source",
      "an open-loop generator of fixed-size requests at a given rate",
      {
          ParamSpec::ref("target").help("the component that serves the requests (a `station`)"),
          ParamSpec::quantity("rate", Dimension::kOpRate).positive().help("mean request rate"),
          ParamSpec::enumeration("arrivals", {"poisson", "fixed"})
              .def("poisson")
              .help("exponential gaps between requests, or a fixed gap of 1/rate"),
          ParamSpec::quantity("size", Dimension::kSize)
              .def("4KiB")
              .min(0)
              .help("bytes per request"),
          ParamSpec::integer("count").def("0").min(0).help(
              "requests to issue in all; 0 for no limit"),
          ParamSpec::time("start").def("0s").min(0).help("time of the first request"),
      }};
}

Source::Source(const ComponentContext& ctx)
    : Component(ctx),
      engine_(ctx.engine),
      params_(ctx.params),
      rate_(ctx.params.quantity("rate")),
      poisson_(ctx.params.string("arrivals") == "poisson"),
      size_(ctx.params.bytes("size")),
      count_(static_cast<std::uint64_t>(ctx.params.integer("count"))),
      start_(ctx.params.time("start")),
      rng_(ctx.engine.rng("source/" + ctx.name)) {}

void Source::connect(Simulation& simulation) {
  target_ = &simulation.find<RequestSink>(params_.string("target"), params_, "target");
}

void Source::start() {
  engine_.spawn(generate(), name());
}

sim::Time Source::next_gap() {
  return sim::Time::from_seconds(poisson_ ? rng_.exponential(1.0 / rate_) : 1.0 / rate_);
}

sim::Task<void> Source::generate() {
  co_await engine_.sleep(start_);
  while (count_ == 0 || issued_ < count_) {
    engine_.spawn(target_->serve(size_));
    ++issued_;
    co_await engine_.sleep(next_gap());
  }
}

nlohmann::json Source::metrics(sim::Time end) const {
  const double span = end.seconds();
  return {{"issued", issued_},
          {"offered_rate_ops", rate_},
          {"issued_rate_ops", span > 0 ? static_cast<double>(issued_) / span : 0.0}};
}

std::vector<std::string> Source::summary(sim::Time end) const {
  return {fmt::format("issued {} requests of {} ({:.1f}/s offered)", issued_, sim::to_string(size_),
                      end > sim::Time::zero() ? rate_ : 0.0)};
}

}  // namespace stormsim::models

#include "models/queueing/station.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "sim/stats/time_series.h"

namespace stormsim::models {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

STORMSIM_REGISTER_MODEL(Station);

ModelSpec Station::spec() {
  return ModelSpec{
      "station",
      "a FIFO queue in front of identical servers (G/G/c); requests from a `source`",
      {
          ParamSpec::integer("servers").def("1").min(1).max(1e6).help("requests served at once"),
          ParamSpec::time("latency").def("0s").min(0).help("fixed part of each service time"),
          ParamSpec::quantity("bandwidth", Dimension::kDataRate)
              .def("1GB/s")
              .positive()
              .help("per-server transfer rate; a request takes latency + size / bandwidth"),
          ParamSpec::enumeration("service", {"fixed", "exponential"})
              .def("fixed")
              .help("service time distribution around its mean"),
          ParamSpec::time("sample_interval")
              .def("100ms")
              .positive()
              .help("bin width of the busy-servers and queue-length time series"),
      }};
}

Station::Station(const ComponentContext& ctx)
    : Component(ctx),
      engine_(ctx.engine),
      servers_(ctx.engine, ctx.params.integer("servers")),
      latency_(ctx.params.time("latency")),
      bandwidth_(ctx.params.data_rate("bandwidth")),
      exponential_(ctx.params.string("service") == "exponential"),
      rng_(ctx.engine.rng("station/" + ctx.name)),
      busy_(sim::Time::zero()),
      queued_(sim::Time::zero()) {
  const sim::Time interval = ctx.params.time("sample_interval");
  // 1,000 points per series are plenty for a plot and bound the result size.
  busy_.track(sim::stats::TimeSeries::binned(interval, 1000));
  queued_.track(sim::stats::TimeSeries::binned(interval, 1000));
}

sim::Time Station::mean_service_time(sim::Bytes size) const {
  return latency_ + sim::transfer_time(size, bandwidth_);
}

sim::Task<void> Station::serve(sim::Bytes size) {
  const sim::Time arrival = engine_.now();
  queued_.add(arrival, 1);
  sim::Permit server = co_await servers_.acquire();
  const sim::Time start = engine_.now();
  queued_.add(start, -1);
  busy_.add(start, 1);
  sim::Time service = mean_service_time(size);
  if (exponential_)
    service = sim::Time::from_seconds(rng_.exponential(service.seconds()));
  co_await engine_.sleep(service);
  const sim::Time done = engine_.now();
  busy_.add(done, -1);
  waiting_.record(start - arrival);
  response_.record(done - arrival);
  completed_.add(1, size.value());
}

namespace {

nlohmann::json latency_json(const sim::stats::HdrHistogram& h) {
  if (h.count() == 0)
    return nlohmann::json::object();
  return {{"mean_s", h.mean() * 1e-9},           {"p50_s", h.percentile(50) * 1e-9},
          {"p90_s", h.percentile(90) * 1e-9},    {"p99_s", h.percentile(99) * 1e-9},
          {"p999_s", h.percentile(99.9) * 1e-9}, {"max_s", h.max() * 1e-9}};
}

}  // namespace

nlohmann::json Station::metrics(sim::Time end) const {
  const double span = end.seconds();
  nlohmann::json m;
  m["completed"] = completed_.count();
  m["bytes"] = completed_.sum();
  m["throughput_ops"] = span > 0 ? static_cast<double>(completed_.count()) / span : 0.0;
  m["throughput_bytes_per_s"] = span > 0 ? completed_.sum() / span : 0.0;
  m["response_time"] = latency_json(response_);
  m["waiting_time"] = latency_json(waiting_);
  m["utilization"] = busy_.mean(end) / static_cast<double>(servers_.capacity());
  m["mean_queue_length"] = queued_.mean(end);
  m["max_queue_length"] = queued_.max();
  m["in_service_at_end"] = busy_.current();
  m["queued_at_end"] = queued_.current();
  m["time_series"] = {{"busy_servers", busy_.to_json(end)}, {"queue_length", queued_.to_json(end)}};
  return m;
}

std::vector<std::string> Station::summary(sim::Time end) const {
  if (response_.count() == 0)
    return {"no request completed"};
  const double span = end.seconds();
  return {fmt::format("{} requests, {:.1f} ops/s, {}, utilization {:.1f}%", completed_.count(),
                      static_cast<double>(completed_.count()) / span,
                      sim::to_string(sim::BytesPerSec(completed_.sum() / span)),
                      100.0 * busy_.mean(end) / static_cast<double>(servers_.capacity())),
          fmt::format("response time mean {} p50 {} p99 {} max {}",
                      sim::Time::from_ns(static_cast<std::int64_t>(response_.mean())),
                      sim::Time::from_ns(static_cast<std::int64_t>(response_.percentile(50))),
                      sim::Time::from_ns(static_cast<std::int64_t>(response_.percentile(99))),
                      sim::Time::from_ns(static_cast<std::int64_t>(response_.max())))};
}

}  // namespace stormsim::models

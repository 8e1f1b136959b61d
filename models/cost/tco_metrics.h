// The cost figures of a finished run, for its result (`metrics.cost`) and
// `stormsim tco`.
//
// Usage is read from the other components' metrics() JSON by well-known keys:
//   metrics[<component>]["checkpoint"]["stall_s"]     mean training stall per
//                                                     checkpoint, seconds
//   metrics[<component>]["checkpoint"]["interval_s"]  checkpoint period (start
//                                                     to start), seconds
//   metrics[<component>]["checkpoint"]["gpus"]        GPUs the stall idles
//                                                     (optional; default: all)
//   metrics[<component>]["campaign"]["gpu_hours_lost_per_year"]
//                                                     GPU-hours lost to
//                                                     failures (lost work and
//                                                     restarts) per year
// The first component (in name order) with a `checkpoint` object that has
// both stall_s and interval_s gives the checkpoint usage; failure GPU-hours
// are summed over every component that reports them. Missing keys mean zero
// usage, and Usage::notes says so.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "models/cost/inventory.h"
#include "models/cost/price_book.h"
#include "models/cost/tco.h"

namespace stormsim::models {
class Simulation;
}

namespace stormsim::models::cost {

// The usage the metrics report (see above).
Usage usage_from_metrics(const nlohmann::json& metrics);

// What a finished run's cluster costs.
struct RunCost {
  Inventory inventory;
  Usage usage;
  Tco tco;

  // {"price_book": source, "inventory": {...}, "usage": {...}, "tco": {...}}.
  nlohmann::json to_json(const PriceBook& book) const;
};

// The cost of the scenario's cluster with the usage its metrics report;
// nullopt when the scenario has no topology. `metrics` is sim.metrics().
std::optional<RunCost> run_cost(const Simulation& sim, const PriceBook& book,
                                const nlohmann::json& metrics);

// RunCost::to_json(), or {"note": "..."} when the scenario has no topology:
// what every run's result holds under `metrics.cost`.
// `metrics` is sim.metrics(), passed when the caller already has it.
nlohmann::json tco_metrics(const Simulation& sim, const PriceBook& book,
                           const nlohmann::json& metrics);
nlohmann::json tco_metrics(const Simulation& sim, const PriceBook& book);

}  // namespace stormsim::models::cost

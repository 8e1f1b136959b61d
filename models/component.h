// Component: one named, configured part of a scenario (a source of
// requests, a server, later a GPU or a drive).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/params.h"
#include "sim/engine.h"

namespace stormsim::models {

class Simulation;

// Everything a model's constructor gets: its name, its validated
// parameters, and the engine it will run on.
struct ComponentContext {
  std::string name;
  sim::config::Params params;
  sim::Engine& engine;
};

// Base of every model instance. The life cycle is: construct (validate
// parameters), connect (resolve references to other components), start
// (spawn processes at time zero), run, then report metrics.
class Component {
 public:
  explicit Component(const ComponentContext& ctx) : name_(ctx.name) {}
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  const std::string& name() const { return name_; }

  virtual void connect(Simulation& /*simulation*/) {}
  virtual void start() {}
  // Metrics at the end of the run, for the result JSON.
  virtual nlohmann::json metrics(sim::Time /*end*/) const { return nlohmann::json::object(); }
  // A few lines for the human summary.
  virtual std::vector<std::string> summary(sim::Time /*end*/) const { return {}; }
  // Lines printed after every component's summary, unprefixed: a table that
  // compares this component with others of its kind.
  virtual std::vector<std::string> closing_summary(sim::Time /*end*/) const { return {}; }

 private:
  std::string name_;
};

}  // namespace stormsim::models

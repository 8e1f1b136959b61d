// Simulation: a scenario built from a config tree, run on one engine.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/cluster.h"
#include "models/component.h"
#include "sim/config/node.h"
#include "sim/config/params.h"
#include "sim/engine.h"

namespace stormsim::models {

// Owns the engine and the components of one run. Building validates the
// whole scenario (unknown types and keys, units, ranges, references), so a
// Simulation that constructs will run.
class Simulation {
 public:
  // The top-level keys of a scenario file.
  static const sim::config::ModelSpec& scenario_spec();

  explicit Simulation(const sim::config::Node& root);
  ~Simulation();

  const std::string& name() const { return name_; }
  std::uint64_t seed() const { return engine_.seed(); }
  sim::Time duration() const { return duration_; }
  sim::Engine& engine() { return engine_; }
  std::uint64_t events_processed() const { return engine_.events_processed(); }
  sim::Time end_time() const { return engine_.now(); }
  const std::vector<std::unique_ptr<Component>>& components() const { return components_; }

  // The scenario's cluster (its `topology:`), or nullptr without one.
  Cluster* cluster() { return cluster_.get(); }
  const Cluster* cluster() const { return cluster_.get(); }
  // The cluster, or a ConfigError at `key` of `params` saying the scenario
  // needs a `topology:`.
  Cluster& cluster(const sim::config::Params& params, std::string_view key);

  // Runs until the scenario's duration.
  void run();

  // The resolved inputs: every key with its default filled in.
  nlohmann::json inputs() const;
  // Per-component metrics at the end of the run.
  nlohmann::json metrics() const;
  std::vector<std::string> summary() const;

  // The component called `name`, of type T; a ConfigError at `where` (the
  // referring key) when there is none or it is of another kind.
  template <typename T>
  T& find(const std::string& name, const sim::config::Params& params, std::string_view key) {
    Component* c = find_component(name);
    if (c == nullptr)
      params.fail(key, no_such_component(name));
    auto* t = dynamic_cast<T*>(c);
    if (t == nullptr) {
      params.fail(key,
                  "component `" + name + "` cannot be used here (it is a `" + type_of(*c) + "`)");
    }
    return *t;
  }

 private:
  Component* find_component(std::string_view name) const;
  std::string no_such_component(std::string_view name) const;
  std::string type_of(const Component& c) const;
  void build_components(const sim::config::Node& list);
  void build_cluster(const sim::config::Node& topology);
  void bind_devices();
  void add_component(const std::string& name, const std::string& type,
                     const sim::config::Node& entry, const std::string& path);

  sim::config::Location root_location_;
  std::string name_;
  std::string description_;
  sim::Time duration_;
  sim::config::Params settings_;
  sim::Engine engine_;
  std::unique_ptr<Cluster> cluster_;  // before the components: they refer to it
  std::vector<std::unique_ptr<Component>> components_;
  std::vector<std::string> types_;
  std::vector<nlohmann::json> component_inputs_;
};

}  // namespace stormsim::models

// Sweep specifications: a base scenario, the axes to vary (grid, zipped,
// random), derived values, replicates and the metrics to collect; and their
// expansion into points, each a list of --set overrides on the base scenario.
//
//   name: storage-x-strategy
//   scenario: ../default.yaml           # relative to this file; default: the embedded one
//   set: {duration: 2h}                 # applied to every point
//   axes:                               # a grid: the first axis varies slowest
//     - {name: servers, set: topology.storage_servers.count, values: [16, 32, 64]}
//     - {name: interval, set: components.ckpt.interval, range: {from: 10, to: 60, step: 10}, unit:
//     min}
//     - zip:                            # members advance together
//         - {name: model, set: components.ckpt.model, values: [llama3-8b, llama3-70b]}
//         - {name: tp, set: components.ckpt.tp, values: [1, 8]}
//   random:                             # `samples` draws, crossed with the grid
//     samples: 20
//     seed: 7
//     axes: [{name: rate, set: ..., uniform: [1, 10]}]   # log_uniform, integer, choice
//   derived:                            # in order; may read any earlier parameter
//     - {name: nics, set: topology.storage_servers.nics, expr: "ceil(servers / 8)"}
//   replicates: 3                       # independent seeds per point
//   metrics: {stall_s: ckpt.checkpoint.stall_s}   # dotted paths into the result's metrics
//   pareto: {cost: storage_usd, metric: stall_s}  # both minimised
//   target: {metric: stall_s, max: 30, cost: storage_usd, where: {gpus: 16384}}
//   smoke: {set: {topology.gpu_servers.count: 4}}  # --smoke: the same sweep, small
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/sweep/expr.h"
#include "sim/config/error.h"
#include "sim/config/node.h"

namespace stormsim::sweep {

// One parameter's value at a point.
struct Value {
  std::string text;              // what is applied to the scenario ("10min", "sync", "32")
  std::optional<double> number;  // its number in canonical units (600 for 10min); none for words
  nlohmann::json shown;  // in rows: the number as given before any `unit:` (10), or the text

  const nlohmann::json& to_json() const { return shown; }
  bool operator==(const Value& o) const { return text == o.text; }
};

// A named parameter: what it sets in the scenario (possibly nothing: a
// variable for derived values) and where the spec defines it.
struct Param {
  std::string name;
  std::vector<std::string> paths;
  std::string unit;  // appended to generated numbers ("min": 10 -> "10min")
  sim::config::Location where;
};

struct Axis {
  Param param;
  std::vector<Value> values;
};

// One dimension of the grid: a single axis, or zipped axes of equal length.
struct GridAxis {
  std::vector<Axis> members;
  std::size_t size() const { return members.front().values.size(); }
};

struct RandomAxis {
  enum class Kind { kUniform, kLogUniform, kInteger, kChoice };
  Param param;
  Kind kind = Kind::kUniform;
  double lo = 0, hi = 0;
  std::vector<Value> choices;
};

struct Derived {
  Param param;
  std::string text;
  Expr expr;
};

struct Metric {
  std::string name;
  std::string path;  // dotted, into the result's `metrics`
  sim::config::Location where;
};

struct ParetoSpec {
  std::string cost;  // metric names, both minimised
  std::string metric;
};

struct TargetSpec {
  std::string metric;
  std::optional<double> max, min;
  std::string cost;
  std::vector<std::pair<std::string, Value>> where;  // only points with these values
};

struct Spec {
  std::string name;
  std::string description;
  std::string path;           // the spec file ("<string>" for text)
  std::string scenario_path;  // absolute; empty: the embedded default scenario
  std::vector<std::string> sets;
  std::vector<GridAxis> grid;
  std::size_t samples = 0;
  std::uint64_t random_seed = 0;
  std::vector<RandomAxis> random;
  std::vector<Derived> derived;
  int replicates = 1;
  std::vector<Metric> metrics;
  std::optional<ParetoSpec> pareto;
  std::optional<TargetSpec> target;
  // Overrides that make every point small and quick (`--smoke`, and the
  // tests of shipped sweeps), applied after the point's own.
  std::vector<std::string> smoke_sets;

  // Every parameter name in row order: grid axes, random axes, derived.
  std::vector<std::string> param_names() const;
};

// Reads a spec; every mistake is a ConfigError naming file, line and key.
Spec load_spec(const std::string& path);
Spec parse_spec(const sim::config::Node& root, const std::string& path);

// One simulation to run.
struct Point {
  std::size_t index = 0;  // the configuration, 0..configurations-1
  int replicate = 0;
  std::uint64_t seed = 0;
  std::vector<std::pair<std::string, Value>> params;  // in param_names() order
  std::vector<std::string> overrides;                 // path=value, applied in order
  std::string key;  // 16 hex digits: a hash of the resolved scenario and seed
};

struct Plan {
  Spec spec;
  sim::config::Node base;  // the base scenario, before any override
  std::size_t configurations = 0;
  std::vector<Point> points;  // configuration-major, replicate-minor
  std::string hash;           // of every key and the metric names: what --resume checks
};

// Expands the spec: resolves every point against the base scenario (a bad
// path or value is a ConfigError at the spec's key), derives replicate
// seeds, and hashes each point's resolved inputs.
// With `smoke`, the spec's smoke overrides apply to every point.
Plan make_plan(const Spec& spec, bool smoke = false);

// The resolved scenario of one point.
sim::config::Node point_scenario(const Plan& plan, const Point& point);

}  // namespace stormsim::sweep

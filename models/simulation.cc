#include "models/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

#include "models/registry.h"
#include "sim/config/error.h"
#include "topologies/loader.h"

namespace stormsim::models {

using sim::config::ConfigError;
using sim::config::ModelSpec;
using sim::config::Node;
using sim::config::ParamSpec;

namespace {

constexpr std::array<std::string_view, 2> kScenarioReserved = {"components", "topology"};
// Device families, in the order their implicit defaults are added.
constexpr std::array<std::string_view, 5> kDeviceTypes = {"pcie", "nic", "nvme", "gpu", "host"};
constexpr std::array<std::string_view, 2> kComponentReserved = {"name", "type"};

std::string scalar_of(const Node& entry, const char* key, const std::vector<std::string>& valid) {
  const Node* n = entry.find(key);
  if (n == nullptr) {
    std::string what = fmt::format("every component needs a `{}`", key);
    if (!valid.empty())
      what += fmt::format("; known types: {}", fmt::join(valid, ", "));
    throw ConfigError(entry.location(), key, what);
  }
  if (!n->is_scalar() || n->scalar().empty()) {
    throw ConfigError(n->location(), key, "expected a non-empty name");
  }
  return n->scalar();
}

}  // namespace

const ModelSpec& Simulation::scenario_spec() {
  static const ModelSpec spec{
      "scenario",
      "A scenario file: settings for the run and the list of components.",
      {
          ParamSpec::string("name").def("scenario").help("name of the scenario, echoed in results"),
          ParamSpec::string("description").def("").help("free text, echoed in results"),
          ParamSpec::integer("seed").def("1").min(0).help(
              "master seed; every random stream derives from it and its name"),
          ParamSpec::time("duration").def("10s").positive().help("simulated time to run"),
          ParamSpec::time("flow_quantum")
              .def("0s")
              .min(0)
              .help("re-solve bandwidth shares only at multiples of this (0: at every change); "
                    "speeds up runs with thousands of concurrent flows, each transfer ending up "
                    "to about one quantum late"),
          ParamSpec::quantity("flow_message_size", sim::units::Dimension::kSize)
              .def("0B")
              .min(0)
              .help("transfers of at most this size (requests, acks, metadata messages) take "
                    "their path latency plus their bytes at the path's narrowest capacity "
                    "instead of sharing bandwidth (0: every transfer shares); cheaper to "
                    "simulate, and no message waits for a flow_quantum"),
      }};
  return spec;
}

Simulation::Simulation(const Node& root)
    : settings_(sim::config::validate(root, scenario_spec(), kScenarioReserved)),
      engine_(static_cast<std::uint64_t>(settings_.integer("seed"))) {
  root_location_ = root.location();
  name_ = settings_.string("name");
  description_ = settings_.string("description");
  duration_ = settings_.time("duration");
  const Node* list = root.find("components");
  if (list == nullptr) {
    throw ConfigError(root.location(), "components",
                      "a scenario needs a `components` list; see `stormsim models` for types");
  }
  if (const Node* topology = root.find("topology"))
    build_cluster(*topology);
  build_components(*list);
  bind_devices();
  for (auto& c : components_)
    c->connect(*this);
}

void Simulation::build_cluster(const Node& node) {
  topo::Topology topology;
  try {
    if (node.is_map()) {
      topology = topo::build_topology(node);
    } else if (node.is_scalar() && !node.scalar().empty()) {
      // Relative to the scenario file that names it.
      std::filesystem::path path(node.scalar());
      if (path.is_relative()) {
        const std::filesystem::path file(node.location().file);
        if (file.has_parent_path() && std::filesystem::exists(file.parent_path() / path))
          path = file.parent_path() / path;
      }
      if (!std::filesystem::exists(path)) {
        throw ConfigError(node.location(), "topology",
                          fmt::format("no topology file `{}` (looked next to the scenario file "
                                      "and in the working directory)",
                                      node.scalar()));
      }
      topology = topo::load_topology(path.string());
    } else {
      throw ConfigError(node.location(), "topology",
                        "expected a topology file (topologies/dev.yaml) or an inline topology map");
    }
  } catch (const topo::TopologyError& e) {
    throw ConfigError(node.location(), "topology", e.what());
  }
  cluster_ = std::make_unique<Cluster>(engine_, std::move(topology));
  cluster_->flows().set_solve_quantum(settings_.time("flow_quantum"));
  cluster_->flows().set_message_size(settings_.bytes("flow_message_size"));
}

void Simulation::bind_devices() {
  std::vector<Device*> devices;
  for (auto& c : components_) {
    if (auto* d = dynamic_cast<Device*>(c.get()))
      devices.push_back(d);
  }
  if (cluster_ == nullptr) {
    if (!devices.empty()) {
      const auto& in = component_inputs_[static_cast<std::size_t>(
          std::find_if(components_.begin(), components_.end(),
                       [&](const auto& c) { return c.get() == devices.front(); }) -
          components_.begin())];
      throw ConfigError(root_location_, "topology",
                        fmt::format("component `{}` (a `{}`) models devices of a cluster: the "
                                    "scenario needs a `topology:`",
                                    devices.front()->name(), in["type"].get<std::string>()));
    }
    return;
  }
  // Devices that name their vertices bind first, then those that take the
  // rest, then an implicit default per family for whatever is left.
  for (Device* d : devices) {
    if (!d->on().empty())
      d->bind(*cluster_);
  }
  for (Device* d : devices) {
    if (d->on().empty())
      d->bind(*cluster_);
  }
  const Node empty = Node::map(root_location_);
  for (std::string_view type : kDeviceTypes) {
    const bool left = type == "pcie"   ? !cluster_->unbound_servers(false).empty()
                      : type == "host" ? !cluster_->unbound_servers(true).empty()
                      : type == "nic"  ? !cluster_->unbound(topo::VertexKind::kNic).empty()
                      : type == "nvme" ? !cluster_->unbound(topo::VertexKind::kDrive).empty()
                                       : !cluster_->unbound(topo::VertexKind::kGpu).empty();
    if (!left)
      continue;
    std::string name(type);
    while (find_component(name) != nullptr)
      name += "-default";
    add_component(name, std::string(type), empty, "components." + name);
    static_cast<Device&>(*components_.back()).bind(*cluster_);
  }
}

Cluster& Simulation::cluster(const sim::config::Params& params, std::string_view key) {
  if (cluster_ == nullptr)
    params.fail(key, "this component needs a cluster: add `topology:` to the scenario");
  return *cluster_;
}

Simulation::~Simulation() {
  // Processes may hold references into components: end them first.
  engine_.shutdown();
}

void Simulation::build_components(const Node& list) {
  if (!list.is_sequence()) {
    throw ConfigError(list.location(), "components",
                      fmt::format("expected a list of components, got a {}",
                                  sim::config::kind_name(list.kind())));
  }
  const std::vector<std::string> known = registry().types();
  for (const Node& entry : list.items()) {
    if (!entry.is_map()) {
      throw ConfigError(entry.location(), "components",
                        "each component is a map with `name:`, `type:` and parameters");
    }
    const std::string name = scalar_of(entry, "name", {});
    const std::string type = scalar_of(entry, "type", known);
    const Node& type_node = *entry.find("type");
    if (find_component(name) != nullptr) {
      throw ConfigError(entry.find("name")->location(), fmt::format("components.{}.name", name),
                        fmt::format("a component named `{}` already exists", name));
    }
    if (registry().find(type) == nullptr) {
      std::string what = fmt::format("unknown component type `{}`", type);
      const std::string close = sim::config::closest_name(type, known);
      what += close.empty() ? fmt::format("; known types: {}", fmt::join(known, ", "))
                            : fmt::format("; did you mean `{}`?", close);
      throw ConfigError(type_node.location(), fmt::format("components.{}.type", name), what);
    }
    if (name == "cluster" || name == "cost") {
      throw ConfigError(entry.find("name")->location(), fmt::format("components.{}.name", name),
                        fmt::format("`{}` is reserved for the run's {} metrics; pick another name",
                                    name, name == "cluster" ? "cluster" : "cost"));
    }
    // Errors name the full path, as --set would write it.
    add_component(name, type, entry, "components." + name);
  }
}

void Simulation::add_component(const std::string& name, const std::string& type, const Node& entry,
                               const std::string& path) {
  const ModelInfo* info = registry().find(type);
  ComponentContext ctx{name, sim::config::validate(entry, info->spec, kComponentReserved, path),
                       engine_};
  nlohmann::json in = ctx.params.to_json();
  in["name"] = name;
  in["type"] = type;
  component_inputs_.push_back(std::move(in));
  components_.push_back(info->make(ctx));
  types_.push_back(type);
}

void Simulation::run() {
  for (auto& c : components_)
    c->start();
  engine_.run_until(duration_);
}

nlohmann::json Simulation::inputs() const {
  nlohmann::json in = settings_.to_json();
  in["components"] = component_inputs_;
  return in;
}

nlohmann::json Simulation::metrics() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& c : components_)
    out[c->name()] = c->metrics(engine_.now());
  if (cluster_ != nullptr) {
    out["cluster"] = {{"topology", cluster_->topology().name()},
                      {"constraints", cluster_->flows().constraint_count()},
                      {"bottlenecks", cluster_->bottlenecks(engine_.now())}};
  }
  return out;
}

std::vector<std::string> Simulation::summary() const {
  std::vector<std::string> lines;
  for (const auto& c : components_) {
    for (std::string& line : c->summary(engine_.now())) {
      lines.push_back(fmt::format("{}: {}", c->name(), line));
    }
  }
  for (const auto& c : components_) {
    for (std::string& line : c->closing_summary(engine_.now()))
      lines.push_back(std::move(line));
  }
  if (cluster_ != nullptr) {
    for (std::string& line : cluster_->bottleneck_summary(engine_.now()))
      lines.push_back(fmt::format("bottleneck: {}", line));
  }
  return lines;
}

Component* Simulation::find_component(std::string_view name) const {
  for (const auto& c : components_) {
    if (c->name() == name)
      return c.get();
  }
  return nullptr;
}

std::string Simulation::no_such_component(std::string_view name) const {
  std::vector<std::string> names;
  for (const auto& c : components_)
    names.push_back(c->name());
  const std::string close = sim::config::closest_name(name, names);
  if (!close.empty())
    return fmt::format("no component named `{}`; did you mean `{}`?", name, close);
  return fmt::format("no component named `{}`; components are: {}", name, fmt::join(names, ", "));
}

std::string Simulation::type_of(const Component& c) const {
  for (std::size_t i = 0; i < components_.size(); ++i) {
    if (components_[i].get() == &c)
      return types_[i];
  }
  return "?";
}

}  // namespace stormsim::models

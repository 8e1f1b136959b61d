#include "experiments/app/catalogue.h"

#include <fmt/format.h>

#include <algorithm>

#include "experiments/app/cli.h"
#include "models/registry.h"
#include "models/simulation.h"
#include "sim/config/error.h"

namespace stormsim::app {
namespace {

void print_spec(const sim::config::ModelSpec& spec, std::ostream& out) {
  out << fmt::format("{}: {}\n\n", spec.type, spec.summary);
  std::size_t width = 4;
  for (const auto& p : spec.params)
    width = std::max(width, p.name.size());
  for (const auto& p : spec.params) {
    if (p.default_text) {
      const std::string& d = *p.default_text;
      out << fmt::format("  {:<{}}  {}, default {}", p.name, width, sim::config::type_name(p),
                         d.empty() ? "\"\"" : d);
    } else {
      out << fmt::format("  {:<{}}  {}, required", p.name, width, sim::config::type_name(p));
    }
    const std::string range = sim::config::describe_range(p);
    if (!range.empty())
      out << ", " << range;
    out << "\n";
    if (!p.help_text.empty())
      out << fmt::format("  {:<{}}  {}\n", "", width, p.help_text);
  }
}

}  // namespace

int print_catalogue(const std::string& type, std::ostream& out) {
  const models::Registry& reg = models::registry();
  if (type.empty()) {
    std::size_t width = 8;
    for (const auto* m : reg.all())
      width = std::max(width, m->spec.type.size());
    out << "Component types (`stormsim models TYPE` for parameters):\n";
    for (const auto* m : reg.all()) {
      out << fmt::format("  {:<{}}  {}\n", m->spec.type, width, m->spec.summary);
    }
    out << fmt::format("\nScenario keys: `stormsim models {}`\n",
                       models::Simulation::scenario_spec().type);
    return kOk;
  }
  if (type == models::Simulation::scenario_spec().type) {
    print_spec(models::Simulation::scenario_spec(), out);
    out << "  components   list of {name, type, parameters...}; `stormsim models` lists types\n";
    return kOk;
  }
  const models::ModelInfo* info = reg.find(type);
  if (info == nullptr) {
    const std::vector<std::string> known = reg.types();
    const std::string close = sim::config::closest_name(type, known);
    throw sim::config::ConfigError(
        sim::config::Location{"<command line>"}, "type",
        close.empty()
            ? fmt::format("unknown model type `{}`; known: {}", type, fmt::join(known, ", "))
            : fmt::format("unknown model type `{}`; did you mean `{}`?", type, close));
  }
  print_spec(info->spec, out);
  return kOk;
}

}  // namespace stormsim::app

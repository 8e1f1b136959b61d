// Every YAML file shipped under topologies/ and experiments/ loads, every
// `type:` in it names a registered model (a model silently missing from the
// build fails here), and every experiment scenario runs. The MLCommons DLIO
// configs under experiments/dlio/ are not scenarios: they must parse as DLIO
// configs with every key understood.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "experiments/app/cli.h"
#include "models/registry.h"
#include "models/simulation.h"
#include "models/workloads/dlio.h"
#include "sim/config/compose.h"
#include "sim/config/node.h"

namespace fs = std::filesystem;
using stormsim::sim::config::Node;

namespace {

bool is_dlio_config(const fs::path& p) {
  return p.parent_path().filename() == "dlio";
}

// Sweep specs are not scenarios; they and their base scenarios (some of
// 16,384 GPUs) run at smoke scale in test_shipped_sweeps.cc.
bool is_sweep_spec(const fs::path& p) {
  return p.parent_path().filename() == "sweeps";
}
bool is_sweep_file(const fs::path& p) {
  return p.string().find("/experiments/sweeps/") != std::string::npos;
}

// The validation cases run, with their tolerances, in tests/validation/
// (V1, V2, V5) and tests/failures/ (V3, V4).
bool is_validation_case(const fs::path& p) {
  return p.parent_path().filename() == "validation";
}

std::vector<fs::path> shipped_yaml(const char* folder) {
  std::vector<fs::path> files;
  const fs::path root = fs::path(STORMSIM_SOURCE_DIR) / folder;
  if (!fs::exists(root))
    return files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Collects the value of every `type:` key at any depth.
void collect_types(const Node& n, std::vector<const Node*>& out) {
  if (n.is_map()) {
    for (const auto& [key, value] : n.entries()) {
      if (key == "type" && value.is_scalar())
        out.push_back(&value);
      collect_types(value, out);
    }
  } else if (n.is_sequence()) {
    for (const Node& item : n.items())
      collect_types(item, out);
  }
}

}  // namespace

TEST_CASE("every type in shipped YAML resolves to a registered model", "[experiments]") {
  std::size_t files = 0, types = 0;
  for (const char* folder : {"topologies", "experiments"}) {
    for (const fs::path& file : shipped_yaml(folder)) {
      INFO(file.string());
      if (is_dlio_config(file) || is_sweep_spec(file))
        continue;
      const Node root = stormsim::sim::config::load_scenario(file.string());
      std::vector<const Node*> found;
      collect_types(root, found);
      for (const Node* t : found) {
        INFO(t->location().str() << ": type `" << t->scalar() << "`");
        CHECK(stormsim::models::registry().find(t->scalar()) != nullptr);
      }
      ++files;
      types += found.size();
    }
  }
  CHECK(files >= 1);
  CHECK(types >= 2);
}

TEST_CASE("every shipped experiment scenario runs", "[experiments]") {
  for (const fs::path& file : shipped_yaml("experiments")) {
    INFO(file.string());
    if (is_dlio_config(file) || is_validation_case(file) || is_sweep_file(file))
      continue;
    stormsim::models::Simulation sim(stormsim::sim::config::load_scenario(file.string()));
    sim.run();
    CHECK(sim.end_time() == sim.duration());
    CHECK(sim.events_processed() > 0);
  }
}

TEST_CASE("the embedded default scenario is experiments/default.yaml", "[experiments]") {
  const Node embedded = stormsim::sim::config::load_string(stormsim::app::default_scenario_text(),
                                                           "<default scenario>");
  const Node file = stormsim::sim::config::load_file(std::string(STORMSIM_SOURCE_DIR) +
                                                     "/experiments/default.yaml");
  CHECK(embedded.to_json() == file.to_json());
}

TEST_CASE("every shipped DLIO config parses with every key understood", "[experiments]") {
  std::size_t n = 0;
  for (const fs::path& file : shipped_yaml("experiments")) {
    if (!is_dlio_config(file))
      continue;
    INFO(file.string());
    const auto cfg = stormsim::models::load_dlio(file.string());
    CHECK(cfg.unknown_keys.empty());
    ++n;
  }
  CHECK(n == 5);
}

// Loading cluster descriptions: every shipped topology loads with the
// numbers its comments promise, and every user mistake names file, line and
// key.
#include <catch2/catch.hpp>
#include <filesystem>

#include "sim/config/error.h"
#include "tests/topologies/helpers.h"
#include "topologies/analysis.h"

namespace fs = std::filesystem;
using stormsim::sim::config::ConfigError;
using stormsim::topo::Topology;
using stormsim::topo::test::from_yaml;
using stormsim::topo::test::source_dir;
namespace topo = stormsim::topo;

namespace {

std::string fixture(const std::string& name) {
  return source_dir() + "/tests/topologies/fixtures/" + name;
}

// The ConfigError `yaml` raises, as text.
std::string error_of(const std::string& yaml) {
  try {
    from_yaml(yaml, "bad.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for:\n" << yaml);
  return "";
}

std::size_t group_size(const Topology& t, const char* group) {
  return t.has_group(group) ? t.group(group).size() : 0;
}

}  // namespace

TEST_CASE("every shipped topology loads and routes", "[topologies][shipped]") {
  struct Expected {
    const char* file;
    std::size_t gpus, storage_servers;
  };
  const std::vector<Expected> expected = {
      {"dev.yaml", 32, 2},
      {"h100-superpod-1024.yaml", 1024, 32},
      {"h100-16k.yaml", 16384, 288},
      {"fire-flyer-2.yaml", 9920, 180},
  };
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(source_dir() + "/topologies")) {
    if (entry.path().extension() == ".yaml")
      ++files;
  }
  CHECK(files == expected.size());
  for (const Expected& e : expected) {
    INFO(e.file);
    const Topology t = topo::load_topology(source_dir() + "/topologies/" + e.file);
    CHECK(group_size(t, "gpus") == e.gpus);
    std::size_t storage = 0;
    for (const topo::Server& s : t.servers())
      storage += s.role == topo::ServerRole::kStorage ? 1 : 0;
    CHECK(storage == e.storage_servers);
    // A checkpoint's path: the last GPU to the last storage drive.
    const auto src = t.group("gpus").back();
    const auto dst = t.group("storage_drives").back();
    const topo::Route r = t.route(src, dst, 1);
    CHECK(r.links.size() >= 6);
    CHECK(t.link_target(r.links.back()) == dst);
    CHECK(t.ecmp_path_count(src, dst) >= 1);
  }
}

TEST_CASE("the large shipped topologies have their published shape", "[topologies][shipped]") {
  const Topology pod = topo::load_topology(source_dir() + "/topologies/h100-superpod-1024.yaml");
  // SuperPOD: 32 rail leaves + 16 spines (+ 2 storage leaves here).
  CHECK(group_size(pod, "leaf_switches") == 34);
  CHECK(group_size(pod, "spine_switches") == 16);
  const Topology ff = topo::load_topology(source_dir() + "/topologies/fire-flyer-2.yaml");
  // Fire-Flyer 2: 122 switches, 800 ports per zone, 180 x 2 x 200 Gb/s storage.
  CHECK(group_size(ff, "switches") == 122);
  CHECK(ff.group("storage_nics").size() == 360);
  CHECK(topo::group_bandwidth(ff, "gpu_servers", "storage_servers").value() ==
        Approx(9e12).epsilon(1e-9));
}

TEST_CASE("a link to a node that does not exist names it", "[topologies][errors]") {
  try {
    topo::load_topology(fixture("link_to_nowhere.yaml"));
    FAIL("loaded");
  } catch (const ConfigError& e) {
    CHECK(e.where().str() == fixture("link_to_nowhere.yaml") + ":10:9");
    CHECK(e.key() == "links.0.to");
    CHECK_THAT(e.detail(), Catch::Contains("no node `spine9`"));
    CHECK_THAT(e.detail(), Catch::Contains("did you mean `spine0`?"));
  }
}

TEST_CASE("a disconnected node names it where it was declared", "[topologies][errors]") {
  try {
    topo::load_topology(fixture("disconnected.yaml"));
    FAIL("loaded");
  } catch (const ConfigError& e) {
    CHECK(e.where().str() == fixture("disconnected.yaml") + ":9:5");
    CHECK(e.key() == "switches.0");
    CHECK_THAT(e.detail(), Catch::Contains("`spare-leaf` is not connected"));
  }
  // A server without NICs is cut off too, named at its template.
  const std::string no_nics = error_of(R"(
gpu_servers: {count: 2, nics: 0}
fabric: {generator: leaf_spine, servers_per_leaf: 1, spines: 1}
)");
  CHECK_THAT(no_nics, Catch::Contains("bad.yaml:2:14: key `gpu_servers`"));
  CHECK_THAT(no_nics, Catch::Contains("`gpu-server-0/cpu0` is not connected"));
  CHECK_THAT(no_nics, Catch::Contains("cut off from `spine0`"));
}

TEST_CASE("unknown keys and bad values name file, line and key", "[topologies][errors]") {
  try {
    topo::load_topology(fixture("unknown_key.yaml"));
    FAIL("loaded");
  } catch (const ConfigError& e) {
    CHECK(e.where().str() == fixture("unknown_key.yaml") + ":6:3");
    CHECK(e.key() == "fabric.servers_per_lef");
    CHECK_THAT(e.detail(), Catch::Contains("did you mean `servers_per_leaf`?"));
  }
  CHECK_THAT(error_of("gpu_servers: {count: 1}\nfabric: {generator: leafspine}\n"),
             Catch::Contains("bad.yaml:2:21: key `fabric.generator`") &&
                 Catch::Contains("did you mean `leaf_spine`?"));
  CHECK_THAT(error_of("gpu_servers: {count: 1, gpu_link: gen9x16}\nfabric: {generator: custom}\n"),
             Catch::Contains("key `gpu_servers.gpu_link`") && Catch::Contains("gen9x16"));
  CHECK_THAT(error_of("gpu_servers: {count: 1, gpuz: 4}\nfabric: {generator: custom}\n"),
             Catch::Contains("bad.yaml:1:25: key `gpu_servers.gpuz`") &&
                 Catch::Contains("did you mean `gpus`?"));
  CHECK_THAT(error_of("gpu_servers: {count: 1}\nfabrik: {generator: custom}\n"),
             Catch::Contains("key `fabrik`") && Catch::Contains("did you mean `fabric`?"));
  CHECK_THAT(error_of("gpu_servers: {count: 1}\n"), Catch::Contains("key `fabric`: missing"));
  CHECK_THAT(
      error_of(stormsim::topo::test::one_nic_servers(17) + "fabric: {generator: fat_tree, k: 4}\n"),
      Catch::Contains("key `fabric.k`") && Catch::Contains("16 host ports"));
  CHECK_THAT(error_of(stormsim::topo::test::one_nic_servers(8) +
                      "fabric: {generator: rail_optimized, servers_per_su: 2, sus_per_pod: 1, "
                      "spines: 2}\n"),
             Catch::Contains("key `fabric.cores`"));
  CHECK_THAT(error_of("gpu_servers: {count: 1}\nrouting: {policy: ecmp}\nfabric: {generator: "
                      "custom}\n"),
             Catch::Contains("key `routing.policy`"));
}

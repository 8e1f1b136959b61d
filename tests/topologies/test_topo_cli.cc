// `stormsim topo` prints the dev cluster's numbers (worked out by hand in
// topologies/README.md) and reports bad input like `check` does.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/cli.h"

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "stormsim");
  std::vector<const char*> argv;
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = stormsim::app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

const std::string kDev = std::string(STORMSIM_SOURCE_DIR) + "/topologies/dev.yaml";

}  // namespace

TEST_CASE("stormsim topo prints the dev cluster's summary", "[topologies][cli]") {
  const Outcome r = run({"topo", kDev});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("servers: 4 GPU, 2 storage"));
  CHECK_THAT(r.out, Catch::Contains("nodes: 173"));
  CHECK_THAT(r.out,
             Catch::Contains("gpu 32 nic 36 drive 64 cpu 10 memory 10 pcie_switch 16 switch 5"));
  CHECK_THAT(r.out, Catch::Contains("links: 204 full-duplex (408 directed)"));
  CHECK_THAT(r.out, Catch::Contains("pcie 148 memory 10 socket 4 access 36 fabric 6"));
  CHECK_THAT(r.out, Catch::Contains(
                        "1 leaf: 3 switches, down 1.7 TB/s, up 1.7 TB/s, oversubscription 1:1"));
  CHECK_THAT(r.out, Catch::Contains("2 spine: 2 switches, down 1.7 TB/s, up 0 B/s, top tier"));
  CHECK_THAT(r.out, Catch::Contains("bisection bandwidth: 800 GB/s (6.4 Tb/s)"));
  CHECK_THAT(r.out,
             Catch::Contains("aggregate bandwidth gpu_servers -> storage_servers: 100 GB/s"));
}

TEST_CASE("stormsim topo --from --to measures between any two groups", "[topologies][cli]") {
  const Outcome r = run({"topo", kDev, "--from", "gpus", "--to", "gpu_drives"});
  REQUIRE(r.code == 0);
  // 32 drives x PCIe Gen4 x4 (7.877 GB/s).
  CHECK_THAT(r.out, Catch::Contains("aggregate bandwidth gpus -> gpu_drives: 252.1 GB/s"));

  const Outcome typo = run({"topo", kDev, "--from", "gpu"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Catch::Contains("--from: topology `dev` has no group `gpu`"));
  CHECK_THAT(typo.err, Catch::Contains("did you mean `gpus`?"));

  const Outcome overlap = run({"topo", kDev, "--from", "gpus", "--to", "gpu_servers"});
  CHECK(overlap.code == 2);
  CHECK_THAT(overlap.err, Catch::Contains("both a source and a destination"));
}

TEST_CASE("stormsim topo reports bad files with file, line and key", "[topologies][cli]") {
  const std::string fixture =
      std::string(STORMSIM_SOURCE_DIR) + "/tests/topologies/fixtures/link_to_nowhere.yaml";
  const Outcome r = run({"topo", fixture});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("link_to_nowhere.yaml:10:9: key `links.0.to`"));
  CHECK_THAT(r.err, Catch::Contains("did you mean `spine0`?"));
  CHECK(run({"topo", "/nonexistent.yaml"}).code == 2);
}

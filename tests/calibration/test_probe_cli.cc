// The probe's command line, in-process: the sections that need no disk
// (memory, TCP on loopback, RDMA, GPU), the skipped lines, usage errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "calibration/probe/json_output.h"
#include "calibration/probe/probe.h"
#include "calibration/probe/rdma.h"
#include "calibration/probe/report.h"
#include "probe_test_util.h"

using probe_test::TempDir;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome probe(std::vector<std::string> args) {
  args.insert(args.begin(), "stormsim-probe");
  std::vector<const char*> argv;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out, err;
  const int code =
      stormsim::probe::probe_main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("memory, loopback TCP, RDMA and GPU sections in one small run", "[cli]") {
  TempDir dir;
  const std::string json = (dir.path / "p.json").string();
  const Outcome r = probe({"--sections", "memory,tcp,rdma,gpu", "--memory-size", "1MiB",
                           "--memory-runtime", "10ms", "--tcp-runtime", "50ms", "--gpu-sizes",
                           "1MiB", "--gpu-runtime", "10ms", "-o", json});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const auto doc = nlohmann::json::parse(probe_test::slurp(json));
  CHECK(doc["schema"] == "probe.v1");
  CHECK(doc["probe"]["status"] == "ok");
  CHECK(doc["host"]["kernel"]["sysname"] == "Linux");
  CHECK(doc["host"]["cpu"]["logical_cores"].get<int>() >= 1);
  CHECK(doc["storage"]["status"] == "skipped");

  CHECK(doc["memory"]["status"] == "ok");
  CHECK(doc["memory"]["copy"][0]["bw_bytes"].get<double>() > 0);

  CHECK(doc["tcp"]["status"] == "ok");
  CHECK(doc["tcp"]["mode"] == "loopback");
  CHECK_THAT(doc["tcp"]["peer"].get<std::string>(), Catch::StartsWith("127.0.0.1:"));
  CHECK(doc["tcp"]["stream"].size() == 2);
  CHECK(doc["tcp"]["stream"][0]["bytes"].get<std::uint64_t>() > 0);
  CHECK(doc["tcp"]["rr"]["round_trips"].get<std::uint64_t>() > 0);

  // No peer: RDMA is skipped whatever the hardware; the reason depends on it.
  CHECK(doc["rdma"]["status"] == "skipped");
  if (stormsim::probe::rdma_devices().empty()) {
    CHECK(doc["rdma"]["message"] == "no RDMA device");
    CHECK_THAT(r.out, Catch::Contains("rdma: skipped: no RDMA device"));
  }
  const std::string gpu = doc["gpu"]["status"];
  CHECK((gpu == "skipped" || gpu == "ok"));
  if (gpu == "skipped") {
    CHECK_THAT(r.out, Catch::Contains("gpu: skipped: no CUDA"));
  }
}

TEST_CASE("usage errors exit 2 and name the option", "[cli]") {
  SECTION("a size without its unit") {
    const Outcome r = probe({"--sizes", "4096"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("4096"));
  }
  SECTION("an unknown operation") {
    const Outcome r = probe({"--ops", "trim"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("--ops"));
  }
  SECTION("an unknown section") {
    CHECK(probe({"--sections", "tape"}).code == 2);
  }
  SECTION("a bad steady-state criterion") {
    const Outcome r = probe({"--ss", "latency:1%"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("iops_slope"));
  }
  SECTION("--server with --client") {
    CHECK(probe({"--server", "--client", "h"}).code == 2);
  }
  SECTION("--help is not an error") {
    const Outcome r = probe({"--help"});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("--destructive"));
  }
}

TEST_CASE("the exit code follows the worst section status", "[cli]") {
  using stormsim::probe::exit_code_for;
  nlohmann::json doc{{"storage", {{"status", "ok"}}}, {"rdma", {{"status", "skipped"}}}};
  CHECK(exit_code_for(doc) == 0);
  doc["storage"]["status"] = "unavailable";
  CHECK(exit_code_for(doc) == 0);
  doc["storage"]["status"] = "no_space";
  CHECK(exit_code_for(doc) == 1);
  doc["storage"]["status"] = "ok";
  doc["tcp"] = {{"status", "error"}};
  CHECK(exit_code_for(doc) == 1);
  doc["storage"]["status"] = "refused";
  CHECK(exit_code_for(doc) == 2);
}

TEST_CASE("the JSON is written atomically, leaving no temporary file", "[cli]") {
  TempDir dir;
  const auto path = dir.path / "out.json";
  stormsim::probe::write_file_atomically(path.string(), "{}\n");
  stormsim::probe::write_file_atomically(path.string(), "{\"a\": 1}\n");
  CHECK(probe_test::slurp(path) == "{\"a\": 1}\n");
  CHECK(dir.entries() == 1);
  CHECK_THROWS(stormsim::probe::write_file_atomically("/proc/nope/x.json", "{}"));
}

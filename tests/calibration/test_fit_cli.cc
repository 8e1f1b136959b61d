// `stormsim fit` and `stormsim validate` through the real binary, on a
// quick probe run of the development VM and on an imported fio run.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "models/devices/profile.h"

namespace {

struct Outcome {
  int code = -1;
  std::string output;  // stdout and stderr
};

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Outcome run_stormsim(const std::string& args) {
  const std::string command = quoted(STORMSIM_BINARY) + " " + args + " 2>&1";
  Outcome r;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    r.output += buffer;
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("stormsim-fit-cli-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

const std::string kFixtures = std::string(STORMSIM_SOURCE_DIR) + "/tests/calibration/fixtures/";

}  // namespace

TEST_CASE("stormsim fit + validate on a quick probe run of the development VM") {
  const auto dir = scratch("quick");
  const std::string probe = kFixtures + "probe-quick-dev-vm.json";
  const std::string profile = (dir / "profile.yaml").string();
  const std::string validation = (dir / "validation.json").string();

  const Outcome fit = run_stormsim("fit " + quoted(probe) + " -o " + quoted(profile));
  INFO(fit.output);
  REQUIRE(fit.code == 0);
  CHECK(fit.output.find("profile: " + profile) != std::string::npos);
  CHECK(fit.output.find("rdma: skipped") != std::string::npos);
  const auto loaded = stormsim::models::devices::load_device_profile(profile);
  REQUIRE(loaded.nvme);
  REQUIRE(loaded.network);
  REQUIRE(loaded.memory);
  CHECK(loaded.source.at("mode") == "quick");

  const Outcome v = run_stormsim("validate " + quoted(probe) + " " + quoted(profile) + " -o " +
                                 quoted(validation));
  INFO(v.output);
  REQUIRE(v.code == 0);
  CHECK(v.output.find("randwrite-1MiB-qd32") != std::string::npos);
  CHECK(v.output.find("p50 latency: median |error|") != std::string::npos);
  std::ifstream in(validation);
  const nlohmann::json doc = nlohmann::json::parse(in);
  CHECK(doc.at("schema") == "validation.v1");
  CHECK(doc.at("storage").size() == 24);
  // The acceptance targets of issue 6 on this fixture (medians; the worst
  // points are random writes, whose tail the VM's host decides).
  for (const nlohmann::json& s : doc.at("summary")) {
    if (s.at("metric") == "throughput (IOPS)")
      CHECK(s.at("median_abs_error").get<double>() <= 0.05);
    if (s.at("metric") == "p50 latency")
      CHECK(s.at("median_abs_error").get<double>() <= 0.10);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("stormsim fit + validate on fio's output imported by stormsim calibrate") {
  const auto dir = scratch("fio");
  const std::string probe = (dir / "probe.json").string();
  const std::string profile = (dir / "profile.yaml").string();
  REQUIRE(run_stormsim("calibrate --fio " + quoted(kFixtures + "fio-3.33-two-jobs.json") + " -o " +
                       quoted(probe))
              .code == 0);
  const Outcome fit = run_stormsim("fit " + quoted(probe) + " -o " + quoted(profile));
  INFO(fit.output);
  REQUIRE(fit.code == 0);
  // Two jobs, one per operation, neither at queue depth 1: said, not hidden.
  CHECK(fit.output.find("no queue-depth-1 point") != std::string::npos);
  CHECK(fit.output.find("not measured; copied from") != std::string::npos);
  const Outcome v = run_stormsim("validate " + quoted(probe) + " " + quoted(profile));
  INFO(v.output);
  CHECK(v.code == 0);
  CHECK(v.output.find("randread-4k-qd16") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("stormsim fit and validate: bad input is exit code 2 and names the file and key") {
  const auto dir = scratch("bad");
  auto file = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  };
  SECTION("a missing probe file") {
    const Outcome r = run_stormsim("fit " + quoted((dir / "nope.json").string()));
    CHECK(r.code == 2);
    CHECK(r.output.find("nope.json") != std::string::npos);
  }
  SECTION("not JSON") {
    const std::string path = file("text.json", "probe results, honest\n");
    const Outcome r =
        run_stormsim("fit " + quoted(path) + " -o " + quoted((dir / "p.yaml").string()));
    CHECK(r.code == 2);
    CHECK(r.output.find(path) != std::string::npos);
    CHECK(r.output.find("not JSON") != std::string::npos);
  }
  SECTION("a point without its read section") {
    const std::string path =
        file("no-read.json",
             R"({"schema": "probe.v1", "storage": {"status": "ok", "points": [)"
             R"({"jobname": "read-4KiB-qd1", "rw": "read", "bs": 4096, "iodepth": 1}]}})");
    const Outcome r =
        run_stormsim("fit " + quoted(path) + " -o " + quoted((dir / "p.yaml").string()));
    CHECK(r.code == 2);
    CHECK(r.output.find(path) != std::string::npos);
    CHECK(r.output.find("storage.points.0.read") != std::string::npos);
  }
  SECTION("a wrong type") {
    const std::string path = file(
        "type.json", R"({"schema": "probe.v1", "storage": {"status": "ok", "points": [)"
                     R"({"jobname": "read-4KiB-qd1", "rw": "read", "bs": "4k", "iodepth": 1}]}})");
    const Outcome r = run_stormsim("fit " + quoted(path));
    CHECK(r.code == 2);
    CHECK(r.output.find("storage.points.0.bs") != std::string::npos);
  }
  SECTION("not a probe document") {
    const std::string path = file("other.json", R"({"schema": "result.v1"})");
    const Outcome r = run_stormsim("fit " + quoted(path));
    CHECK(r.code == 2);
    CHECK(r.output.find("schema") != std::string::npos);
  }
  SECTION("a bad profile") {
    const std::string profile = file("bad.yaml", "schema: device_profile.v1\nnvme: 3\n");
    const Outcome r = run_stormsim("validate " + quoted(kFixtures + "probe-quick-dev-vm.json") +
                                   " " + quoted(profile));
    CHECK(r.code == 2);
    CHECK(r.output.find(profile + ":2") != std::string::npos);
    CHECK(r.output.find("nvme") != std::string::npos);
  }
  SECTION("a missing argument is a usage error") {
    CHECK(run_stormsim("validate " + quoted(kFixtures + "probe-quick-dev-vm.json")).code == 2);
  }
  std::filesystem::remove_all(dir);
}

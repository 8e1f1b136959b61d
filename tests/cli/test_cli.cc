// The command line, driven in-process: exit codes, messages for bad input,
// overrides, the catalogue, and byte-identical results for the same seed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/cli.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome cli(std::initializer_list<std::string> args) {
  std::vector<std::string> owned{"stormsim"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& a : owned)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = stormsim::app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

std::string fixture(const std::string& name) {
  return std::string(STORMSIM_SOURCE_DIR) + "/tests/cli/fixtures/" + name;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("stormsim-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

}  // namespace

TEST_CASE("run with no scenario runs the embedded default", "[cli]") {
  TempDir dir;
  // The first 50 ms only: the plumbing, not the checkpoints (the full run is
  // in experiments/test_shipped_yaml and cli/determinism.sh).
  const Outcome r = cli({"run", "-o", dir.path.string(), "--set", "duration=50ms"});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("scenario default"));
  CHECK_THAT(r.out, Catch::Contains("result: "));
  const std::string json = slurp(dir.path / "result.json");
  CHECK_THAT(json, Catch::Contains("\"schema\": \"stormsim.result.v1\""));
  CHECK_THAT(json, Catch::Contains("\"commit\""));
  CHECK_THAT(json, Catch::Contains("\"time_series\""));
  // No temporary file is left behind by the atomic write.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path))
    ++files;
  CHECK(files == 1);
}

TEST_CASE("same scenario and seed give byte-identical results", "[cli][determinism]") {
  TempDir a, b, c;
  REQUIRE(cli({"run", fixture("base.yaml"), "-q", "-o", a.path.string()}).code == 0);
  REQUIRE(cli({"run", fixture("base.yaml"), "-q", "-o", b.path.string()}).code == 0);
  REQUIRE(cli({"run", fixture("base.yaml"), "-q", "--seed", "4", "-o", c.path.string()}).code == 0);
  const std::string ra = slurp(a.path / "result.json");
  CHECK(ra == slurp(b.path / "result.json"));
  CHECK(ra != slurp(c.path / "result.json"));
}

TEST_CASE("bad input exits with 2 and names file, line and key", "[cli][errors]") {
  struct Case {
    const char* file;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {"misspelled_key.yaml",
       {"misspelled_key.yaml:10:5", "bandwdith", "did you mean `bandwidth`?"}},
      {"missing_unit.yaml", {"missing_unit.yaml:7:11", "rate", "\"2000\""}},
      {"negative_bandwidth.yaml", {"negative_bandwidth.yaml:10:16", "bandwidth", "-5GB/s"}},
      {"malformed.yaml", {"malformed.yaml:7:9", "YAML"}},
      {"extends_missing.yaml", {"extends_missing.yaml:1:", "extends", "no_such_base.yaml"}},
      {"unknown_type.yaml", {"unknown_type.yaml:4:11", "type", "did you mean `station`?"}},
      {"bad_reference.yaml", {"bad_reference.yaml:5:13", "target", "did you mean `drive`?"}},
      {"duplicate_name.yaml", {"duplicate_name.yaml:5:11", "components.drive.name", "already"}},
      {"missing_type.yaml", {"missing_type.yaml:3:5", "type", "known types: ", "source, station"}},
  };
  for (const Case& c : cases) {
    for (const char* command : {"run", "check"}) {
      INFO(command << " " << c.file);
      const Outcome r = cli({command, fixture(c.file)});
      CHECK(r.code == 2);
      for (const auto& needle : c.needles)
        CHECK_THAT(r.err, Catch::Contains(needle));
    }
  }
}

TEST_CASE("a missing scenario file is a usage error naming it", "[cli][errors]") {
  const Outcome r = cli({"run", "/nonexistent/scenario.yaml"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent/scenario.yaml"));
}

TEST_CASE("overrides with --set reach any value and are checked like the file", "[cli][set]") {
  TempDir dir;
  const Outcome ok = cli({"run", fixture("base.yaml"), "-o", dir.path.string(), "--set",
                          "components.drive.servers=3", "--set", "duration=50ms"});
  REQUIRE(ok.code == 0);
  const std::string json = slurp(dir.path / "result.json");
  CHECK_THAT(json, Catch::Contains("\"servers\": \"3\""));
  CHECK_THAT(json, Catch::Contains("\"end_time\": \"50ms\""));

  const Outcome typo = cli({"check", fixture("base.yaml"), "--set", "components.drive.servrs=3"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Catch::Contains("--set"));
  CHECK_THAT(typo.err, Catch::Contains("did you mean `servers`?"));

  const Outcome bad_path = cli({"check", fixture("base.yaml"), "--set", "components.disk.x=1"});
  CHECK(bad_path.code == 2);
  CHECK_THAT(bad_path.err, Catch::Contains("disk"));

  const Outcome negative = cli({"check", fixture("base.yaml"), "--set", "duration=-1s"});
  CHECK(negative.code == 2);
  CHECK_THAT(negative.err, Catch::Contains("duration"));
}

TEST_CASE("overrides with --set reach into a topology given as a file", "[cli][set]") {
  TempDir dir;
  const std::string scenario =
      std::string(STORMSIM_SOURCE_DIR) + "/experiments/storage/lustre.yaml";
  const Outcome ok = cli({"run", scenario, "-q", "-o", dir.path.string(), "--set",
                          "topology.storage_servers.count=4", "--set", "duration=10ms"});
  INFO(ok.err);
  REQUIRE(ok.code == 0);
  const auto doc = nlohmann::json::parse(slurp(dir.path / "result.json"));
  // The file was inlined, with the override applied and its other keys kept.
  CHECK(doc["metrics"]["cluster"]["topology"] == "dev");
  CHECK(doc["metrics"]["cost"]["inventory"]["storage"]["servers"] == 4);
  CHECK(doc["metrics"]["cost"]["inventory"]["compute"]["gpu_servers"] == 4);

  const Outcome typo = cli({"check", scenario, "--set", "topology.storage_server.count=4"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Catch::Contains("did you mean `storage_servers`?"));
}

TEST_CASE("extends merges a base scenario", "[cli][extends]") {
  TempDir dir;
  const Outcome r = cli({"run", fixture("extends_ok.yaml"), "-o", dir.path.string()});
  REQUIRE(r.code == 0);
  const std::string json = slurp(dir.path / "result.json");
  CHECK_THAT(json, Catch::Contains("\"name\": \"derived\""));
  CHECK_THAT(json, Catch::Contains("\"servers\": \"4\""));
  CHECK_THAT(json, Catch::Contains("\"rate\": \"2000 IOPS\""));
}

TEST_CASE("models lists the catalogue from the declarations", "[cli][models]") {
  const Outcome all = cli({"models"});
  REQUIRE(all.code == 0);
  CHECK_THAT(all.out, Catch::Contains("station"));
  CHECK_THAT(all.out, Catch::Contains("source"));

  const Outcome one = cli({"models", "station"});
  REQUIRE(one.code == 0);
  CHECK_THAT(one.out, Catch::Contains("bandwidth"));
  CHECK_THAT(one.out, Catch::Contains("1GB/s"));
  CHECK_THAT(one.out, Catch::Contains("per-server transfer rate"));

  const Outcome scenario = cli({"models", "scenario"});
  CHECK(scenario.code == 0);
  CHECK_THAT(scenario.out, Catch::Contains("duration"));

  const Outcome unknown = cli({"models", "staton"});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("did you mean `station`?"));
}

TEST_CASE("usage errors exit with 2, help and version with 0", "[cli]") {
  CHECK(cli({}).code == 2);
  CHECK(cli({"frobnicate"}).code == 2);
  CHECK(cli({"run", "--no-such-flag"}).code == 2);
  CHECK(cli({"run", "--seed", "abc"}).code == 2);
  const Outcome help = cli({"run", "--help"});
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Catch::Contains("--set"));
  const Outcome version = cli({"--version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Catch::Contains("stormsim"));
}

TEST_CASE("an unwritable output directory is an input error", "[cli][errors]") {
  TempDir dir;
  const fs::path blocker = dir.path / "file";
  std::ofstream(blocker) << "x";
  const Outcome r = cli({"run", fixture("base.yaml"), "-o", (blocker / "sub").string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("cannot write"));
}

TEST_CASE("run --dlio runs the published DLIO configs, checkpoint and training alike", "[cli]") {
  TempDir dir;
  const std::string dlio = std::string(STORMSIM_SOURCE_DIR) + "/experiments/dlio/";
  const Outcome train = cli({"run", "--dlio", dlio + "unet3d_h100.yaml", "-o", dir.path.string()});
  REQUIRE(train.code == 0);
  CHECK_THAT(train.out, Catch::Contains("AU "));
  CHECK_THAT(train.out, Catch::Contains("PASS against 90%"));
  const Outcome ckpt =
      cli({"run", "--dlio", dlio + "llama3_8b.yaml", "--ranks", "8", "-o", dir.path.string()});
  REQUIRE(ckpt.code == 0);
  CHECK_THAT(ckpt.out, Catch::Contains("8 ranks (TP 1 x PP 1 x DP 8, ZeRO 3)"));
  // A rank count that does not fit TP x PP is an input error.
  CHECK(cli({"run", "--dlio", dlio + "llama3_70b.yaml", "--ranks", "12"}).code == 2);
}

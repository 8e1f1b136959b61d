// `stormsim probe` forwards to the probe; `stormsim calibrate --fio` imports
// fio's JSON output as a probe.v1 document.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/cli.h"

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"stormsim"};
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = stormsim::app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST_CASE("stormsim probe forwards its arguments, --help included") {
  const Outcome r = run({"probe", "--help"});
  CHECK(r.code == 0);
  CHECK((r.out + r.err).find("--quick") != std::string::npos);
  const Outcome bad = run({"probe", "--no-such-option"});
  CHECK(bad.code == 2);
}

TEST_CASE("stormsim probe runs a memory-only probe and writes probe.v1") {
  const auto dir = std::filesystem::temp_directory_path() / "stormsim-cli-probe-test";
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "probe.json").string();
  const Outcome r = run({"probe", "--sections", "memory", "--memory-size", "4MiB",
                         "--memory-runtime", "50ms", "-o", out});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  std::ifstream in(out);
  const nlohmann::json doc = nlohmann::json::parse(in);
  CHECK(doc.at("schema") == "probe.v1");
  CHECK(doc.at("memory").at("status") == "ok");
  std::filesystem::remove_all(dir);
}

TEST_CASE("stormsim calibrate --fio imports fio's output") {
  const auto dir = std::filesystem::temp_directory_path() / "stormsim-cli-calibrate-test";
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "probe.json").string();
  const std::string fio =
      std::string(STORMSIM_SOURCE_DIR) + "/tests/calibration/fixtures/fio-3.33-two-jobs.json";
  const Outcome r = run({"calibrate", "--fio", fio, "-o", out});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  std::ifstream in(out);
  const nlohmann::json doc = nlohmann::json::parse(in);
  CHECK(doc.at("schema") == "probe.v1");
  CHECK(doc.at("storage").at("points").size() == 2);
  std::filesystem::remove_all(dir);

  const Outcome missing = run({"calibrate", "--fio", "/nonexistent/fio.json"});
  CHECK(missing.code == 2);
}

}  // namespace

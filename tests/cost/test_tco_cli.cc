// `stormsim tco` through the real binary: a scenario's cost lines, a
// topology at zero usage, and a bad price book's file:line error.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

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

// Runs the binary in the source tree, as a user would.
Outcome run_stormsim(const std::string& args) {
  const std::string command =
      "cd " + quoted(STORMSIM_SOURCE_DIR) + " && " + quoted(STORMSIM_BINARY) + " " + args + " 2>&1";
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

std::filesystem::path scratch() {
  const auto dir = std::filesystem::temp_directory_path() / "stormsim-tco-cli";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("stormsim tco prints a scenario's cost", "[cost][cli]") {
  const auto json = scratch() / "tco.json";
  const Outcome r = run_stormsim("tco experiments/storage/lustre.yaml -o " + quoted(json));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("tco `lustre` (experiments/storage/lustre.yaml), prices "
                                       "from <default price book>"));
  CHECK_THAT(r.output, Catch::Contains("ran the scenario: simulated 1s"));
  CHECK_THAT(r.output, Catch::Contains("inventory: 4 GPU servers (32 GPUs), 2 storage servers "
                                       "with 32 drives (491.5 TB raw), 4 storage NICs"));
  CHECK_THAT(r.output, Catch::Contains("usage: no checkpoint metrics in this run"));
  CHECK_THAT(r.output, Catch::Contains("storage capex: $102,402 (servers $40,000, drives "
                                       "$49,152, NICs $4,800, network $8,450), $20,480/year"));
  CHECK_THAT(r.output, Catch::Contains("storage opex: $"));
  CHECK_THAT(r.output, Catch::Contains("cost per checkpoint: n/a (no checkpoints)"));
  CHECK_THAT(r.output, Catch::Contains("GPU time lost: checkpoints $0.00/year (0 GPU-h), "
                                       "failures $0.00/year (0 GPU-h)"));
  CHECK_THAT(r.output, Catch::Contains("total cost per useful GPU-hour: $"));
  // 32 GPUs x 8,760 h, none lost.
  CHECK_THAT(r.output, Catch::Contains("over 280,320 GPU-h useful"));

  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["scenario"]["name"] == "lustre");
  CHECK(j["tco"]["storage_capex_usd"].get<double>() == Approx(102402));
  CHECK(j["price_book"]["capex_usd"]["gpu_server"].get<double>() == 270000);
}

TEST_CASE("stormsim tco counts a topology file at zero usage", "[cost][cli]") {
  const Outcome r = run_stormsim("tco topologies/dev.yaml");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("a topology file: nothing was run"));
  CHECK_THAT(r.output, Catch::Contains("storage capex: $102,402"));
}

TEST_CASE("stormsim tco with a bad price book names file and line", "[cost][cli]") {
  const auto book = scratch() / "prices.yaml";
  std::ofstream(book) << "# my prices\ncapex:\n  nvme_per_tb: $90\n  swich_port_400g: $500\n";
  const Outcome r =
      run_stormsim("tco experiments/storage/lustre.yaml --price-book " + quoted(book.string()));
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains(book.string() + ":4:"));
  CHECK_THAT(r.output, Catch::Contains("capex.swich_port_400g"));
  CHECK_THAT(r.output, Catch::Contains("switch_port_400g"));

  const Outcome shipped =
      run_stormsim("tco topologies/dev.yaml --price-book models/cost/price_book.yaml");
  INFO(shipped.output);
  CHECK(shipped.code == 0);
  CHECK_THAT(shipped.output, Catch::Contains("prices from models/cost/price_book.yaml"));
  CHECK_THAT(shipped.output, Catch::Contains("storage capex: $102,402"));
}

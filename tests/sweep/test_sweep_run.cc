// Running sweeps: thread counts do not change the rows; a sweep killed with
// SIGKILL at random moments and resumed gives the same output as one run
// straight through; shards merged equal the whole; failed points are rows.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "experiments/app/cli.h"
#include "experiments/sweep/runner.h"
#include "experiments/sweep/spec.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace stormsim;

namespace {

const std::string kFixtures = std::string(STORMSIM_SOURCE_DIR) + "/tests/sweep/fixtures/";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("stormsim-sweep-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int cli(std::vector<std::string> args, std::string* output = nullptr) {
  args.insert(args.begin(), "stormsim");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  if (output != nullptr)
    *output = out.str() + err.str();
  return code;
}

// The outputs that must not depend on how the points were run.
void require_same_outputs(const fs::path& a, const fs::path& b) {
  for (const char* f : {"points.jsonl", "points.csv", "sweep.json"}) {
    INFO(f);
    REQUIRE(fs::exists(a / f));
    REQUIRE(fs::exists(b / f));
    CHECK(read(a / f) == read(b / f));
  }
}

// Starts the real binary on the grid spec; returns its pid.
pid_t spawn_sweep(const fs::path& out, bool resume) {
  std::vector<std::string> args{
      STORMSIM_BINARY, "sweep", kFixtures + "kill.yaml", "-j", "2", "-q", "-o", out.string()};
  if (resume)
    args.push_back("--resume");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, STORMSIM_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("a sweep runs every point and -j does not change the rows", "[sweep][run]") {
  const fs::path dir = scratch("threads");
  std::string output;
  REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-j", "1", "-o", (dir / "j1").string()},
              &output) == app::kOk);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("16 of 16 points done (8 configurations x 2 replicates), 16 "
                                     "ok, 0 failed"));
  CHECK_THAT(output, Catch::Contains("Pareto front of storage_usd against stall_s"));
  CHECK_THAT(output, Catch::Contains("cheapest meeting durable_s <= 100 where strategy=async"));
  REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-j", "2", "-q", "-o", (dir / "j2").string()}) ==
          app::kOk);
  require_same_outputs(dir / "j1", dir / "j2");

  const nlohmann::json s = nlohmann::json::parse(read(dir / "j1" / "sweep.json"));
  CHECK(s["schema"] == "stormsim.sweep.v1");
  CHECK(s["axes"] == nlohmann::json({"strategy", "chain", "dp"}));
  CHECK(s["points"] == 16);
  CHECK(s["complete"] == true);
  // Rows carry their parameters and metrics; async stalls less than sync.
  std::vector<nlohmann::json> rows;
  std::istringstream lines(read(dir / "j1" / "points.jsonl"));
  for (std::string line; std::getline(lines, line);)
    rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 16);
  CHECK(rows[0]["params"] == nlohmann::json({{"strategy", "sync"}, {"chain", 1}, {"dp", 8}}));
  CHECK(rows[0]["replicate"] == 0);
  CHECK(rows[1]["replicate"] == 1);
  CHECK(rows[8]["params"]["strategy"] == "async");
  CHECK(rows[8]["metrics"]["stall_s"].get<double>() < rows[0]["metrics"]["stall_s"].get<double>());
  // dp 16 writes the same model in more, smaller shards: the same bytes.
  CHECK(rows[2]["metrics"]["bytes"].get<double>() ==
        Approx(rows[0]["metrics"]["bytes"].get<double>()).epsilon(0.001));
  // A chain of 2 needs no more storage servers than a chain of 1: same capex.
  CHECK(rows[4]["metrics"]["storage_usd"].get<double>() > 0);
  // The CSV has a header and one line per row.
  const std::string csv = read(dir / "j1" / "points.csv");
  CHECK(csv.rfind("key,index,replicate,seed,status,strategy,chain,dp,stall_s,durable_s,bytes,"
                  "storage_usd,error\n",
                  0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 17);
}

TEST_CASE("a sweep killed at random moments resumes to the same output", "[sweep][run]") {
  const fs::path dir = scratch("kill");
  REQUIRE(cli({"sweep", kFixtures + "kill.yaml", "-j", "2", "-q", "-o",
               (dir / "straight").string()}) == app::kOk);
  // How long a whole run takes, to aim the kills inside it.
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(WEXITSTATUS(wait_for(spawn_sweep(dir / "timed", false))) == 0);
  const double whole = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::mt19937_64 rng(2026);
  const fs::path out = dir / "killed";
  int kills = 0, mid_run = 0;  // kills that left some points done, some not
  for (int attempt = 0; attempt < 4; ++attempt) {
    // A resumed run only has the points still missing: aim inside it.
    const std::string before = fs::exists(out / "rows.jsonl") ? read(out / "rows.jsonl") : "";
    const auto done = std::count(before.begin(), before.end(), '\n');
    const double left = static_cast<double>(std::max<std::ptrdiff_t>(64 - done, 4)) / 64;
    const pid_t pid = spawn_sweep(out, attempt > 0);
    const double at = std::uniform_real_distribution<double>(0.05, 0.9)(rng) * whole * left;
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    if (::kill(pid, SIGKILL) == 0) {
      const int status = wait_for(pid);
      kills += WIFSIGNALED(status) ? 1 : 0;
    } else {
      wait_for(pid);
    }
    const std::string journal = read(out / "rows.jsonl");
    const auto rows = std::count(journal.begin(), journal.end(), '\n');
    mid_run += rows > 0 && rows < 64;
  }
  INFO("killed " << kills << " times; a whole run takes " << whole << " s");
  CHECK(kills >= 2);
  CHECK(mid_run >= 1);
  // Some points were done before the last kill; resuming finishes the rest.
  std::string output;
  REQUIRE(cli({"sweep", kFixtures + "kill.yaml", "-j", "2", "-o", out.string(), "--resume"},
              &output) == app::kOk);
  INFO(output);
  require_same_outputs(dir / "straight", out);
  // The journal holds each point once.
  const std::string journal = read(out / "rows.jsonl");
  CHECK(std::count(journal.begin(), journal.end(), '\n') == 64);
}

TEST_CASE("a partial journal line from a kill is dropped on resume", "[sweep][run]") {
  const fs::path dir = scratch("partial");
  REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-q", "-o", (dir / "a").string()}) == app::kOk);
  // Keep five whole rows and half of the sixth, as a kill mid-write would.
  const std::string journal = read(dir / "a" / "rows.jsonl");
  std::size_t cut = 0;
  for (int i = 0; i < 5; ++i)
    cut = journal.find('\n', cut) + 1;
  fs::create_directories(dir / "b");
  fs::copy_file(dir / "a" / "plan.json", dir / "b" / "plan.json");
  std::ofstream(dir / "b" / "rows.jsonl") << journal.substr(0, cut + 40);
  std::string output;
  REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-o", (dir / "b").string(), "--resume"},
              &output) == app::kOk);
  CHECK_THAT(output, Catch::Contains("ran 11 in"));
  CHECK_THAT(output, Catch::Contains("5 already done"));
  require_same_outputs(dir / "a", dir / "b");
  // Without --resume the directory is not overwritten.
  CHECK(cli({"sweep", kFixtures + "grid.yaml", "-o", (dir / "b").string()}, &output) ==
        app::kInputError);
  CHECK_THAT(output, Catch::Contains("already holds a sweep's rows: add --resume"));
}

TEST_CASE("shards merged equal the unsharded run", "[sweep][run]") {
  const fs::path dir = scratch("shards");
  REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-q", "-o", (dir / "whole").string()}) ==
          app::kOk);
  std::vector<std::string> merge{"merge", "-q", "-o", (dir / "merged").string()};
  for (int i = 0; i < 3; ++i) {
    const std::string part = (dir / ("part" + std::to_string(i))).string();
    REQUIRE(cli({"sweep", kFixtures + "grid.yaml", "-q", "--shard", std::to_string(i) + "/3", "-o",
                 part}) == app::kOk);
    const nlohmann::json s = nlohmann::json::parse(read(fs::path(part) / "sweep.json"));
    CHECK(s["points"] == (i == 0 ? 6 : 5));  // positions 0..15 modulo 3
    CHECK(s["complete"] == false);
    merge.push_back(part);
  }
  std::string output;
  REQUIRE(cli(merge, &output) == app::kOk);
  require_same_outputs(dir / "whole", dir / "merged");
  // Parts of another sweep are refused.
  fs::create_directories(dir / "other");
  std::ofstream(dir / "other" / "plan.json")
      << R"({"schema": "stormsim.sweep-plan.v1", "hash": "x", "points": []})";
  CHECK(cli({"merge", "-o", (dir / "m2").string(), (dir / "part0").string(),
             (dir / "other").string()},
            &output) == app::kInputError);
  CHECK_THAT(output, Catch::Contains("holds another sweep"));
}

TEST_CASE("a failing point is a row with its error, and the sweep says so", "[sweep][run]") {
  const fs::path dir = scratch("errors");
  // dp 64 needs 64 GPUs; the tiny cluster has 32.
  std::ofstream(dir / "bad.yaml") << "name: bad\nscenario: " << kFixtures
                                  << "tiny.yaml\naxes: [{name: dp, set: components.ckpt.dp, "
                                     "values: [8, 64]}]\nmetrics: {stall_s: "
                                     "ckpt.checkpoint.stall_s}\n";
  std::string output;
  CHECK(cli({"sweep", (dir / "bad.yaml").string(), "-o", (dir / "out").string()}, &output) ==
        app::kSimulationError);
  CHECK_THAT(output, Catch::Contains("2 of 2 points done (2 configurations x 1 replicates), 1 ok, "
                                     "1 failed"));
  CHECK_THAT(output, Catch::Contains("first failure, point 1 replicate 0"));
  const std::string jsonl = read(dir / "out" / "points.jsonl");
  CHECK_THAT(jsonl, Catch::Contains("\"status\":\"error\""));
  // A metric path that is not in the result names the spec's line.
  std::ofstream(dir / "typo.yaml") << "name: typo\nscenario: " << kFixtures
                                   << "tiny.yaml\nreplicates: 2\nmetrics:\n  stall_s: "
                                      "ckpt.checkpoint.stal_s\n";
  CHECK(cli({"sweep", (dir / "typo.yaml").string(), "-o", (dir / "typo").string()}, &output) ==
        app::kSimulationError);
  CHECK_THAT(output, Catch::Contains("typo.yaml:5:12: key `metrics.stall_s`: "
                                     "`ckpt.checkpoint.stal_s`: no `stal_s` in `ckpt.checkpoint`"));
}

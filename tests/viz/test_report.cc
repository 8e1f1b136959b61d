// `stormsim report` end to end, and the Python figure tests (tests/viz/
// test_viz.py) run through the interpreter `stormsim report` would use.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/cli.h"
#include "experiments/app/report_command.h"

namespace {

namespace fs = std::filesystem;
using stormsim::app::run_cli;

const std::string kSource = STORMSIM_SOURCE_DIR;
const std::string kFixtures = kSource + "/tests/viz/fixtures/";

struct Outcome {
  int code = -1;
  std::string out, err;
};

Outcome cli(std::vector<std::string> args) {
  args.insert(args.begin(), "stormsim");
  std::vector<const char*> argv;
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  Outcome r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("stormsim-viz-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = getenv(name))
      old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the Python figure tests pass (every figure type and format and index.html)") {
  const auto python = stormsim::app::find_python();
  REQUIRE(python.has_value());
  std::string out, err;
  const int code = stormsim::app::run_program(
      {python->string(), "-B", kSource + "/tests/viz/test_viz.py"}, out, err);
  INFO("python: " << python->string() << "\n" << out << err);
  CHECK(code == 0);
  CHECK(err.find("\nOK") != std::string::npos);
}

TEST_CASE("stormsim report draws a validation report's figures and index.html") {
  const fs::path dir = scratch("report-validation");
  const Outcome r = cli({"report", kFixtures + "validation.json", "-o", (dir / "r").string()});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out == "report: " + (dir / "r" / "index.html").string() + "\n");
  for (const char* name : {"index.html", "calibration.png", "calibration.pdf", "calibration.svg",
                           "calibration_errors.png"})
    CHECK(fs::is_regular_file(dir / "r" / name));
  std::ifstream in(dir / "r" / "index.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("src=\"calibration.png\"") != std::string::npos);
  CHECK(html.find("randwrite-64KiB-qd1") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("stormsim report: the default output folder is `report` beside the input") {
  using stormsim::app::default_report_dir;
  CHECK(default_report_dir("out/run/result.json") == fs::path("out/run/report"));
  CHECK(default_report_dir("result.json") == fs::path("./report"));
  CHECK(default_report_dir(kFixtures + "sweep") == fs::path(kFixtures + "sweep/report"));
}

TEST_CASE("stormsim report names what is missing and the package to install") {
  const fs::path dir = scratch("report-errors");
  const std::string input = kFixtures + "validation.json";
  const std::string out = (dir / "r").string();
  SECTION("no such input") {
    const Outcome r = cli({"report", (dir / "nope.json").string()});
    CHECK(r.code == 2);
    CHECK((r.out + r.err).find("nope.json") != std::string::npos);
  }
  SECTION("a viz folder without report.py") {
    ScopedEnv env("STORMSIM_VIZ_DIR", dir.string());
    const Outcome r = cli({"report", input, "-o", out});
    CHECK(r.code == 2);
    CHECK(r.err.find("cannot find viz/report.py in STORMSIM_VIZ_DIR=" + dir.string()) !=
          std::string::npos);
  }
  SECTION("no such Python") {
    ScopedEnv env("STORMSIM_PYTHON", (dir / "python9").string());
    const Outcome r = cli({"report", input, "-o", out});
    CHECK(r.code == 2);
    CHECK(r.err.find("no Python 3 found") != std::string::npos);
    CHECK(r.err.find("apt-get install python3 python3-matplotlib") != std::string::npos);
  }
  SECTION("a Python without matplotlib") {
    // A stand-in interpreter that fails every import as python3 would.
    const fs::path fake = dir / "python-without-matplotlib";
    std::ofstream(fake) << "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'matplotlib'\" "
                           ">&2\nexit 1\n";
    fs::permissions(fake, fs::perms::owner_all);
    ScopedEnv env("STORMSIM_PYTHON", fake.string());
    const Outcome r = cli({"report", input, "-o", out});
    CHECK(r.code == 2);
    CHECK(r.err.find("cannot import matplotlib (ModuleNotFoundError: No module named "
                     "'matplotlib'); on Debian: apt-get install python3-matplotlib") !=
          std::string::npos);
  }
  SECTION("not a stormsim document") {
    const fs::path bad = dir / "bad.json";
    std::ofstream(bad) << R"({"schema": "something.else"})";
    const Outcome r = cli({"report", bad.string(), "-o", out});
    CHECK(r.code == 2);
    CHECK(r.err.find("schema 'something.else'") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "r" / "index.html"));
  fs::remove_all(dir);
}

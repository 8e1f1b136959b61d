// The validator: a profile validated against measurements it generated
// itself has no error; the probe reader's errors name file and key.
#include <catch2/catch.hpp>

#include "calibration/fit/fit.h"
#include "calibration/validate/validate.h"
#include "fit_test_util.h"
#include "sim/config/error.h"

using namespace stormsim;
using namespace stormsim::calibration;
using namespace stormsim::calibration::testing;
using Catch::Matchers::Contains;

namespace {

ProbeRun quick_run(const NvmeProfile& p) {
  ProbeRun run;
  for (const StoragePoint& s : synthetic_points(p)) {
    const bool quick = (s.bytes == 4096 || s.bytes == 65536 || s.bytes == 1048576) &&
                       (s.iodepth == 1 || s.iodepth == 32);
    if (quick)
      run.storage.push_back(s);
  }
  return run;
}

}  // namespace

TEST_CASE("validate: the simulated matrix matches the closed forms it was generated from") {
  NvmeProfile p = known_profile(2.0);
  for (IoCurve& c : p.curves)
    c.tail_fraction = 0;  // deterministic: the median is the mean
  const ProbeRun run = quick_run(p);
  models::devices::DeviceProfile profile;
  profile.nvme = p;
  const Validation v = validate(run, profile);
  REQUIRE(v.storage.size() == 24);
  for (const StorageRow& r : v.storage) {
    CAPTURE(r.jobname);
    CHECK(std::fabs(relative_error(r.measured_iops, r.predicted_iops)) < 0.01);
    CHECK(std::fabs(relative_error(r.measured_p50, r.predicted_p50)) < 0.01);
    CHECK(r.simulated_requests > 100);
  }
  CHECK(v.summary[0].metric == "throughput (IOPS)");
  CHECK(v.summary[0].median_abs < 0.01);
  const nlohmann::json doc = validation_json(v, "probe.json", "profile.yaml");
  CHECK(doc["storage"].size() == 24);
  CHECK(doc["summary"][2]["metric"] == "p50 latency");
  CHECK_THAT(validation_table(v), Contains("p50 latency: median |error|"));
}

TEST_CASE("validate: fit then validate on synthetic data with a tail") {
  const NvmeProfile p = known_profile(2.0);
  ProbeRun run = quick_run(p);
  run.memory = {{1, 10e9}, {2, 12e9}};
  const FitResult fit = fit_probe(run);
  const Validation v = validate(run, fit.profile);
  CHECK(v.summary[0].median_abs < 0.02);  // throughput
  CHECK(v.summary[2].median_abs < 0.05);  // p50 latency
  REQUIRE(v.scalars.size() == 2);
  CHECK(v.scalars[1].predicted == Approx(12e9));
}

TEST_CASE("validate: errors, medians and the worst point") {
  CHECK(relative_error(100, 110) == Approx(0.1));
  CHECK(relative_error(0, 5) == 0);
}

TEST_CASE("read_probe: malformed documents name the file and the key") {
  auto error_of = [](const nlohmann::json& doc) -> std::string {
    try {
      read_probe(doc, "run.json");
    } catch (const sim::config::ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  const nlohmann::json point = {
      {"jobname", "read-4KiB-qd1"},
      {"rw", "read"},
      {"bs", 4096},
      {"iodepth", 1},
      {"read",
       {{"iops", 1000.0},
        {"bw_bytes", 4096000.0},
        {"runtime", 1000},
        {"clat_ns", {{"mean", 9e5}, {"percentile", {{"50.000000", 8e5}}}}}}}};
  nlohmann::json doc = {{"schema", "probe.v1"},
                        {"storage", {{"status", "ok"}, {"points", {point}}}}};
  REQUIRE(read_probe(doc, "run.json").storage.size() == 1);
  CHECK(read_probe(doc, "run.json").storage[0].clat_p50 == Approx(8e-4));

  SECTION("a missing key") {
    doc["storage"]["points"][0]["read"].erase("iops");
    CHECK_THAT(error_of(doc), Contains("run.json"));
    CHECK_THAT(error_of(doc), Contains("storage.points.0.read.iops"));
  }
  SECTION("a negative size") {
    doc["storage"]["points"][0]["bs"] = -1;
    CHECK_THAT(error_of(doc), Contains("storage.points.0.bs"));
  }
  SECTION("points that are not a list") {
    doc["storage"]["points"] = 3;
    CHECK_THAT(error_of(doc), Contains("storage.points"));
  }
  SECTION("another schema") {
    doc["schema"] = "probe.v2";
    CHECK_THAT(error_of(doc), Contains("probe.v1"));
  }
  SECTION("a section that did not run is a note, not an error") {
    doc["storage"] = {{"status", "unavailable"}, {"message", "io_uring is disabled"}};
    const ProbeRun run = read_probe(doc, "run.json");
    CHECK(run.storage.empty());
    REQUIRE(run.notes.size() == 1);
    CHECK_THAT(run.notes[0], Contains("io_uring is disabled"));
  }
  SECTION("operations the model does not have are skipped with a note") {
    doc["storage"]["points"][0]["rw"] = "randrw";
    const ProbeRun run = read_probe(doc, "run.json");
    CHECK(run.storage.empty());
    CHECK_THAT(run.notes.at(0), Contains("randrw"));
  }
}

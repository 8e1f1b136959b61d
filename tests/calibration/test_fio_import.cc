// Importing fio's JSON output (a real fio 3.33 run, and hand-made fio 2
// style and malformed inputs) into probe.v1.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "calibration/probe/fio_import.h"
#include "calibration/probe/probe.h"
#include "probe_test_util.h"

using namespace stormsim::probe;

namespace {

std::string fixture(const std::string& name) {
  return std::string(STORMSIM_SOURCE_DIR) + "/tests/calibration/fixtures/" + name;
}

}  // namespace

TEST_CASE("fio's sizes", "[fio]") {
  CHECK(parse_fio_size("4096") == 4096);
  CHECK(parse_fio_size("4k") == 4096);
  CHECK(parse_fio_size("4K") == 4096);
  CHECK(parse_fio_size("4KiB") == 4096);
  CHECK(parse_fio_size("64kb") == 65536);
  CHECK(parse_fio_size("1m") == 1 << 20);
  CHECK(parse_fio_size("2g") == std::uint64_t{2} << 30);
  CHECK(parse_fio_size("4k-64k") == 4096);
  CHECK(parse_fio_size("4k,64k") == 4096);
  CHECK_THROWS_AS(parse_fio_size("k"), std::invalid_argument);
  CHECK_THROWS_AS(parse_fio_size("4q"), std::invalid_argument);
}

TEST_CASE("a real fio run imports job by job", "[fio]") {
  const nlohmann::json doc = import_fio_file(fixture("fio-3.33-two-jobs.json"));
  CHECK(doc["schema"] == "probe.v1");
  CHECK(doc["probe"]["imported_from"] == "fio");
  CHECK(doc["probe"]["fio_version"] == "fio-3.33");
  const auto& points = doc["storage"]["points"];
  REQUIRE(points.size() == 2);
  const auto& rr = points[0];
  CHECK(rr["rw"] == "randread");
  CHECK(rr["bs"] == 4096);
  CHECK(rr["iodepth"] == 16);
  CHECK(rr["direct"] == true);
  CHECK(rr["ioengine"] == "io_uring");
  CHECK(rr["job options"]["size"] == "64M");  // from the global options
  CHECK(rr["status"] == "ok");
  CHECK(rr["read"]["total_ios"].get<std::uint64_t>() > 0);
  CHECK(rr["read"]["clat_ns"]["percentile"].contains("99.900000"));
  const auto& w = points[1];
  CHECK(w["rw"] == "write");
  CHECK(w["bs"] == 65536);
  CHECK(w["iodepth"] == 4);
  CHECK(w["write"]["bw_bytes"].get<double>() > 0);
  CHECK(doc["host"]["disk_util"].is_array());
}

TEST_CASE("fio 2's microsecond latencies become nanoseconds", "[fio]") {
  const nlohmann::json fio2 = {
      {"fio version", "fio-2.2.10"},
      {"jobs",
       {{{"jobname", "old"},
         {"error", 0},
         {"job options", {{"rw", "randwrite"}, {"bs", "8k"}}},
         {"write",
          {{"io_bytes", 8192},
           {"bw", 4},
           {"iops", 1.0},
           {"clat",
            {{"min", 10}, {"max", 20}, {"mean", 15.0}, {"percentile", {{"50.000000", 14}}}}}}}}}}};
  const nlohmann::json doc = import_fio(fio2, "old.json");
  const auto& p = doc["storage"]["points"][0];
  CHECK(p["bs"] == 8192);
  CHECK(p["iodepth"] == 1);
  CHECK(p["write"]["clat_ns"]["min"] == 10000.0);
  CHECK(p["write"]["clat_ns"]["percentile"]["50.000000"] == 14000.0);
  CHECK(p["write"]["bw_bytes"] == 4096.0);
  CHECK_FALSE(p["write"].contains("clat"));
}

TEST_CASE("warnings before fio's JSON are kept aside and other documents refused", "[fio]") {
  const std::string text = "fio: some warning\n{\"fio version\": \"fio-3.33\", \"jobs\": []}\n";
  const nlohmann::json doc = import_fio_text(text, "warned.json");
  CHECK(doc["probe"]["fio_warnings"] == "fio: some warning");
  CHECK(doc["storage"]["points"].empty());
  CHECK_THROWS_AS(import_fio_text("{\"not\": \"fio\"}", "x.json"), std::invalid_argument);
  CHECK_THROWS_AS(import_fio_text("no json here", "x.json"), std::invalid_argument);
  CHECK_THROWS_AS(import_fio_text("{broken", "x.json"), std::invalid_argument);
}

TEST_CASE("the --import-fio option writes the probe.v1 document", "[fio][cli]") {
  probe_test::TempDir dir;
  const std::string out_path = (dir.path / "imported.json").string();
  const std::string in_path = fixture("fio-3.33-two-jobs.json");
  const char* argv[] = {"stormsim-probe", "--import-fio", in_path.c_str(), "-o", out_path.c_str()};
  std::ostringstream out, err;
  CHECK(probe_main(5, argv, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("2 fio jobs"));
  const auto doc = nlohmann::json::parse(probe_test::slurp(out_path));
  CHECK(doc["storage"]["points"].size() == 2);

  const char* bad[] = {"stormsim-probe", "--import-fio", "/nonexistent/fio.json"};
  std::ostringstream out2, err2;
  CHECK(probe_main(3, bad, out2, err2) == 2);
  CHECK_THAT(err2.str(), Catch::Contains("cannot read /nonexistent/fio.json"));
}

// fio's steady-state criteria against closed forms.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "calibration/probe/steady_state.h"

using namespace stormsim::probe;

TEST_CASE("steady-state criteria parse fio's syntax", "[steady_state]") {
  const auto s = parse_steady_state("iops_slope:0.3%");
  CHECK(s.metric == SteadyStateSpec::Metric::kIops);
  CHECK(s.kind == SteadyStateSpec::Kind::kSlope);
  CHECK(s.limit == 0.3);
  CHECK(s.percent);
  const auto b = parse_steady_state("bw:1000");
  CHECK(b.metric == SteadyStateSpec::Metric::kBandwidth);
  CHECK(b.kind == SteadyStateSpec::Kind::kDeviation);
  CHECK_FALSE(b.percent);
  CHECK_THROWS_AS(parse_steady_state("iops"), std::invalid_argument);
  CHECK_THROWS_AS(parse_steady_state("lat:1%"), std::invalid_argument);
  CHECK_THROWS_AS(parse_steady_state("iops:abc"), std::invalid_argument);
  CHECK_THROWS_AS(parse_steady_state("iops:-1"), std::invalid_argument);
}

TEST_CASE("a flat series is steady, a ramp has its exact slope", "[steady_state]") {
  const auto slope = parse_steady_state("iops_slope:0.3%");
  const std::vector<double> flat(10, 1000.0);
  const auto f = evaluate_steady_state(slope, flat, 1.0);
  CHECK(f.attained);
  CHECK(f.slope == Approx(0).margin(1e-9));
  CHECK(f.mean == Approx(1000));

  // y = 1000 + 10 t sampled every 0.5 s: slope 10 per second, mean at t = 2.25.
  std::vector<double> ramp;
  for (int i = 0; i < 10; ++i) {
    ramp.push_back(1000.0 + 10.0 * 0.5 * i);
  }
  const auto r = evaluate_steady_state(slope, ramp, 0.5);
  CHECK(r.slope == Approx(10.0));
  CHECK(r.mean == Approx(1022.5));
  CHECK(r.criterion == Approx(100.0 * 10.0 / 1022.5));
  CHECK_FALSE(r.attained);  // ~0.98% > 0.3%
  CHECK(evaluate_steady_state(parse_steady_state("iops_slope:1%"), ramp, 0.5).attained);
}

TEST_CASE("the deviation criterion bounds the largest distance from the mean", "[steady_state]") {
  const std::vector<double> v{90, 100, 110, 100};
  const auto pct = evaluate_steady_state(parse_steady_state("bw:10%"), v, 1.0);
  CHECK(pct.max_deviation == Approx(10));
  CHECK(pct.criterion == Approx(10));
  CHECK(pct.attained);
  CHECK_FALSE(evaluate_steady_state(parse_steady_state("bw:9.9%"), v, 1.0).attained);
  CHECK(evaluate_steady_state(parse_steady_state("iops:10"), v, 1.0).attained);
}

TEST_CASE("too few samples or a zero mean are never steady", "[steady_state]") {
  const auto s = parse_steady_state("iops:5%");
  CHECK_FALSE(evaluate_steady_state(s, std::vector<double>{100.0}, 1.0).attained);
  CHECK_FALSE(evaluate_steady_state(s, std::vector<double>{0, 0, 0}, 1.0).attained);
}

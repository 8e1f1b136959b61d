// V3 (CASES.md): Daly's optimal checkpoint interval for R = 10 min,
// delta = 5 min, and a simulated campaign that finds its goodput maximum at
// the same interval within the Monte Carlo error it reports.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>

#include "models/failures/campaign.h"
#include "models/failures/failure_model.h"

namespace f = stormsim::models::failures;

namespace {

constexpr double kMin = 60;
constexpr double kDelta = 5 * kMin;
constexpr double kRestart = 10 * kMin;

}  // namespace

TEST_CASE("Daly's table: 117, 57 and 9.1 min within 1%", "[failures][V3]") {
  const struct {
    double mtbf_min, published_min;
  } table[] = {{24 * 60, 117}, {6 * 60, 57}, {15, 9.1}};
  for (const auto& row : table) {
    INFO("MTBF " << row.mtbf_min << " min");
    const double tau = f::daly_interval(kDelta, row.mtbf_min * kMin) / kMin;
    CHECK(tau == Approx(row.published_min).epsilon(0.01));
    // The exact optimum of Daly's model, which the campaign converges to, is
    // within 0.5% of his formula at these inputs.
    CHECK(f::optimal_interval_exact(kDelta, row.mtbf_min * kMin) / kMin ==
          Approx(tau).epsilon(0.005));
  }
  // Computed values: 116.69, 56.71, 9.14 min.
  CHECK(f::daly_interval(kDelta, 24 * 3600) / kMin == Approx(116.69).epsilon(1e-4));
  CHECK(f::daly_interval(kDelta, 6 * 3600) / kMin == Approx(56.71).epsilon(1e-4));
  CHECK(f::daly_interval(kDelta, 15 * kMin) / kMin == Approx(9.143).epsilon(1e-3));
}

TEST_CASE("Young's first order is sqrt(2 delta M), Daly's is M when delta >= 2M",
          "[failures][V3]") {
  CHECK(f::young_interval(kDelta, 24 * 3600) / kMin == Approx(120.0));  // sqrt(2*5*1440)
  CHECK(f::young_interval(kDelta, 6 * 3600) / kMin == Approx(60.0));
  CHECK(f::young_interval(2, 8) == Approx(std::sqrt(32.0)));
  CHECK(f::daly_interval(100, 50) == 50);
  CHECK(f::daly_interval(100, 49) == 49);
  // Just below delta = 2M the formula applies: sqrt(2 d M)(1 + 1/3 + 1/9) - d.
  CHECK(f::daly_interval(100, 50.0 + 1e-9) == Approx(100 * (1 + 1.0 / 3 + 1.0 / 9) - 100));
}

TEST_CASE("the campaign finds Daly's optimum within its Monte Carlo error", "[failures][V3]") {
  const auto t0 = std::chrono::steady_clock::now();
  for (const double mtbf_min : {24.0 * 60, 6.0 * 60, 15.0}) {
    INFO("MTBF " << mtbf_min << " min");
    const double m = mtbf_min * kMin;
    const double daly = f::daly_interval(kDelta, m);
    f::CampaignSpec spec;
    // Long enough for ~100 failures at the longest MTBF.
    spec.duration_s = std::max(30 * 86400.0, 100 * m);
    spec.stall_s = spec.time_to_durable_s = kDelta;
    spec.restart_s = kRestart;
    spec.mttf_s = m;
    spec.replicates = 200;
    spec.seed = 7;
    // 29 log-spaced intervals from Daly/4 to 4 Daly, Daly's in the middle.
    std::vector<double> intervals = f::log_spaced(daly / 4, daly * 4, 29);
    REQUIRE(intervals[14] == Approx(daly));
    intervals[14] = daly;
    const f::IntervalScan scan = f::scan_intervals(spec, intervals);
    const double gap = scan.gap_to_best[14], ci = scan.gap_ci95[14];
    INFO("best " << scan.best_interval_s / kMin << " min, fitted "
                 << scan.fitted_best_interval_s / kMin << " min, tied " << scan.tied_low_s / kMin
                 << " to " << scan.tied_high_s / kMin << " min; Daly " << daly / kMin
                 << " min, goodput gap " << gap << " +- " << ci);
    // Daly's interval is statistically tied with the best: its paired goodput
    // gap is within the gap's 95% interval, so it lies in [tied_low, tied_high].
    CHECK(gap <= ci);
    CHECK(scan.tied_low_s <= daly);
    CHECK(daly <= scan.tied_high_s);
    // ... and the scan is sharp enough to mean something: intervals 35% off
    // Daly's (3 grid steps) are significantly worse. Measured with seed 7:
    // tied 116.7-128.8 min (24 h), 51.4-56.7 min (6 h), 9.14 min alone
    // (15 min).
    CHECK(scan.tied_low_s > daly / 1.35);
    CHECK(scan.tied_high_s < daly * 1.35);
    CHECK(std::abs(std::log(scan.fitted_best_interval_s / daly)) < std::log(1.25));
    // The simulated goodput at Daly's interval agrees with Daly's closed form
    // (the long-run limit; the campaign's end adds a small bias).
    const f::CampaignResult& at = scan.results[14];
    const double expected = f::expected_goodput(daly, kDelta, kRestart, m);
    const double half = (at.goodput_ci95_high - at.goodput_ci95_low) / 2;
    INFO("goodput at Daly " << at.goodput << " +- " << half << ", closed form " << expected);
    CHECK(std::abs(at.goodput - expected) < half + 0.002);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WARN("V3 campaign scans: " << secs << " s");
}

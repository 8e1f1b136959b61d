// The simulated training campaign against hand-worked timelines and closed
// forms.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "models/failures/campaign.h"
#include "models/failures/failure_model.h"

namespace f = stormsim::models::failures;

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

f::CampaignSpec sync_spec() {
  f::CampaignSpec s;
  s.duration_s = 1000;
  s.interval_s = 100;
  s.stall_s = s.time_to_durable_s = 10;
  s.restart_s = 20;
  s.mttf_s = kNever;
  return s;
}

void check_accounting(const f::CampaignTrace& tr, double duration_s) {
  CHECK(tr.useful_s + tr.lost_work_s + tr.stall_s + tr.restart_s ==
        Approx(duration_s).epsilon(1e-12));
}

}  // namespace

TEST_CASE("without failures goodput is interval / (interval + stall) exactly", "[failures]") {
  f::CampaignSpec s;
  s.interval_s = 3600;
  s.stall_s = s.time_to_durable_s = 400;
  s.duration_s = 100 * 4000;
  s.mttf_s = kNever;
  s.replicates = 3;
  const f::CampaignResult r = f::simulate_campaign(s);
  CHECK(r.goodput == 3600.0 / 4000.0);
  CHECK(r.goodput_ci95_low == r.goodput);
  CHECK(r.failures_mean == 0);
  CHECK(r.checkpoints_mean == 100);
  // Asynchronous persistence that ends before the next checkpoint is due
  // costs nothing more.
  s.time_to_durable_s = 3000;
  CHECK(f::simulate_campaign(s).goodput == 3600.0 / 4000.0);
  // Persistence slower than a cycle: each checkpoint waits for the previous
  // one, so a cycle lasts time_to_durable and goodput is interval / it.
  s.time_to_durable_s = 5000;
  s.duration_s = 3600 + 100 * 5000;
  CHECK(f::simulate_campaign(s).goodput == Approx(101 * 3600.0 / s.duration_s).epsilon(1e-12));
}

TEST_CASE("a hand-built failure sequence loses the work since the last durable checkpoint",
          "[failures]") {
  const f::CampaignSpec s = sync_spec();
  SECTION("a failure during compute") {
    // Checkpoints at 100 and 210 (durable at 110, 220 with p = 100, 200); the
    // failure at 250 loses the 30 s since; restart 250-270; then 7 full
    // cycles of 110 s from 270 and 70 s of compute to the end.
    const std::vector<double> failures = {250};
    const f::CampaignTrace tr = f::run_campaign(s, failures);
    CHECK(tr.failures == 1);
    CHECK(tr.lost_work_s == 30);
    CHECK(tr.restart_s == 20);
    CHECK(tr.checkpoints == 8);
    CHECK(tr.durable_checkpoints == 8);
    CHECK(tr.stall_s == 80);
    CHECK(tr.useful_s == 870);
    check_accounting(tr, s.duration_s);
  }
  SECTION("a failure during a checkpoint's stall loses that checkpoint") {
    const std::vector<double> failures = {215};
    const f::CampaignTrace tr = f::run_campaign(s, failures);
    // Back to the checkpoint of 100 s; the stall of 210-215 is lost too.
    // Restart 215-235, then cycles of 110 s: the last checkpoint starts at
    // 995 and the campaign ends during its stall, so two never became
    // durable.
    CHECK(tr.lost_work_s == 100);
    CHECK(tr.stall_s == 10 + 5 + 6 * 10 + 5);
    CHECK(tr.checkpoints == 9);
    CHECK(tr.durable_checkpoints == 7);
    CHECK(tr.useful_s == 200 + 6 * 100);
    check_accounting(tr, s.duration_s);
  }
  SECTION("a failure during a restart starts it over") {
    const std::vector<double> failures = {250, 260};
    const f::CampaignTrace tr = f::run_campaign(s, failures);
    CHECK(tr.failures == 2);
    CHECK(tr.lost_work_s == 30);
    CHECK(tr.restart_s == 30);  // 250-260 and 260-280
    check_accounting(tr, s.duration_s);
  }
  SECTION("failures at or past the end are ignored") {
    const std::vector<double> failures = {1000, 2000};
    const f::CampaignTrace tr = f::run_campaign(s, failures);
    CHECK(tr.failures == 0);
    CHECK(tr.useful_s == f::run_campaign(s, {}).useful_s);
  }
}

TEST_CASE("an asynchronous checkpoint is not durable until persisted", "[failures]") {
  f::CampaignSpec sync = sync_spec();
  sync.stall_s = sync.time_to_durable_s = 50;
  f::CampaignSpec async = sync;
  async.stall_s = 0;
  // Checkpoint at 100 (p = 100) durable at 150. A failure at 130 finds it
  // still persisting: async loses all 130 s of work since the start; sync
  // was stalled, loses the 100 s of its interval and 30 s of stall.
  const std::vector<double> failures = {130};
  const f::CampaignTrace a = f::run_campaign(async, failures);
  const f::CampaignTrace s = f::run_campaign(sync, failures);
  CHECK(a.lost_work_s == 130);
  CHECK(s.lost_work_s == 100);
  CHECK(s.stall_s >= 30);
  check_accounting(a, async.duration_s);
  check_accounting(s, sync.duration_s);
  // A failure at 160, after the checkpoint became durable, loses only 60 s
  // (async, computing since 100) or 10 s (sync, computing since 150).
  const std::vector<double> later = {160};
  CHECK(f::run_campaign(async, later).lost_work_s == 60);
  CHECK(f::run_campaign(sync, later).lost_work_s == 10);
}

TEST_CASE("asynchronous checkpoints lose more work per failure but win on goodput", "[failures]") {
  // Per failure, with failures uniform over the cycle (M >> cycle): sync
  // loses (tau^2/2 + tau D)/(tau + D) of work, async (stall 0) tau/2 + D,
  // as its window since the last durable checkpoint includes the D of
  // persistence during which it kept computing.
  const double tau = 600, d = 120;
  f::CampaignSpec sync;
  sync.duration_s = 30 * 86400.0;
  sync.interval_s = tau;
  sync.stall_s = sync.time_to_durable_s = d;
  sync.restart_s = 300;
  sync.mttf_s = 100 * (tau + d);
  sync.replicates = 300;
  f::CampaignSpec async = sync;
  async.stall_s = 0;
  const f::CampaignResult s = f::simulate_campaign(sync);
  const f::CampaignResult a = f::simulate_campaign(async);
  CHECK(s.lost_work_per_failure_s == Approx((tau * tau / 2 + tau * d) / (tau + d)).epsilon(0.03));
  CHECK(a.lost_work_per_failure_s == Approx(tau / 2 + d).epsilon(0.03));
  CHECK(a.lost_work_per_failure_s > s.lost_work_per_failure_s);
  CHECK(a.gpu_hours_lost_work > s.gpu_hours_lost_work);
  CHECK(a.goodput > s.goodput_ci95_high);
  CHECK(a.gpu_hours_stall == 0);
}

TEST_CASE("the Monte Carlo matches Daly's closed form and is reproducible", "[failures]") {
  f::CampaignSpec s;
  s.duration_s = 365 * 86400.0;
  s.interval_s = 3600;
  s.stall_s = s.time_to_durable_s = 300;
  s.restart_s = 600;
  s.mttf_s = 6 * 3600;
  s.gpus = 16384;
  s.replicates = 100;
  s.seed = 42;
  const f::CampaignResult r = f::simulate_campaign(s);
  const double expected = f::expected_goodput(s.interval_s, s.stall_s, s.restart_s, s.mttf_s);
  INFO("goodput " << r.goodput << " [" << r.goodput_ci95_low << ", " << r.goodput_ci95_high
                  << "], closed form " << expected);
  CHECK(r.goodput_ci95_low - 0.001 < expected);
  CHECK(expected < r.goodput_ci95_high + 0.001);
  // The first-order estimate is close but not exact.
  CHECK(f::expected_goodput_first_order(s.interval_s, s.stall_s, s.restart_s, s.mttf_s) ==
        Approx(expected).epsilon(0.02));
  // Failures: Poisson with mean duration / M (each failure time drawn is
  // counted, restarts included).
  CHECK(r.failures_mean == Approx(s.duration_s / s.mttf_s).epsilon(0.02));
  // GPU-hours add up to the campaign's.
  CHECK(r.gpu_hours_total == s.duration_s * 16384 / 3600);
  CHECK(r.gpu_hours_useful + r.gpu_hours_stall + r.gpu_hours_lost_work + r.gpu_hours_restart ==
        Approx(r.gpu_hours_total).epsilon(1e-9));
  CHECK(r.gpu_hours_useful / r.gpu_hours_total == Approx(r.goodput).epsilon(1e-9));
  // Same seed, bit-identical; another seed, another sample.
  const f::CampaignResult again = f::simulate_campaign(s);
  CHECK(again.goodput == r.goodput);
  CHECK(again.gpu_hours_lost_work == r.gpu_hours_lost_work);
  s.seed = 43;
  CHECK(f::simulate_campaign(s).goodput != r.goodput);
}

TEST_CASE("common random numbers: every interval sees the same failures", "[failures]") {
  f::CampaignSpec s;
  s.duration_s = 7 * 86400.0;
  s.mttf_s = 3600;
  s.stall_s = s.time_to_durable_s = 60;
  s.replicates = 20;
  const f::IntervalScan scan = f::scan_intervals(s, {300, 600, 1200});
  // Failures do not depend on the interval (restarts included in the count).
  CHECK(scan.results[0].failures_mean == scan.results[1].failures_mean);
  CHECK(scan.results[1].failures_mean == scan.results[2].failures_mean);
  CHECK(scan.gap_to_best[scan.best_index] == 0);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(scan.gap_to_best[i] >= 0);
  // Paired differences are tighter than those of independent samples would
  // be: the failure count, the main source of variance, is shared.
  const f::CampaignResult& a = scan.results[0];
  const f::CampaignResult& b = scan.results[scan.best_index];
  REQUIRE(scan.best_index != 0);
  const double independent =
      1.959964 *
      std::sqrt((a.goodput_stddev * a.goodput_stddev + b.goodput_stddev * b.goodput_stddev) /
                s.replicates);
  CHECK(scan.gap_ci95[0] < 0.8 * independent);
  // A scan is the same replicates as campaigns run one interval at a time.
  f::CampaignSpec one = s;
  one.interval_s = 1200;
  CHECK(f::simulate_campaign(one).goodput == scan.results[2].goodput);
  CHECK(f::log_spaced(1, 100, 3) == std::vector<double>{1, 10, 100});
}

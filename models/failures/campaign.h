// A simulated training campaign: days to months of training with failures
// drawn from an exponential distribution, periodic checkpoints, and restarts
// from the last durable checkpoint. Monte Carlo over replicates, seeded and
// bit-identical for a seed; pure computation, no engine.
//
// One replicate's timeline, in wall-clock seconds from 0 to duration_s:
//  - compute for interval_s, then checkpoint: training stalls for stall_s
//    (the GPU-to-host copy of an asynchronous scheme, the whole save of a
//    synchronous one) while the checkpoint captures the progress made so
//    far; it becomes durable time_to_durable_s after it started. Training
//    resumes after the stall, so with time_to_durable_s > stall_s
//    persistence overlaps the next interval's compute. A checkpoint that is
//    due while the previous one is still persisting waits for it (the wait
//    counts as stall): at most one checkpoint is in flight.
//  - failures strike at any time: during compute, during a stall, during a
//    restart. A failure discards the work since the last *durable*
//    checkpoint (a checkpoint still persisting is lost with it) and starts a
//    restart of restart_s (detection, rescheduling, reading the checkpoint
//    back); a failure during a restart starts it over. After a restart the
//    job computes a full interval before its next checkpoint.
//  - at the end of the campaign the progress made counts as useful, durable
//    or not (the job would save it on the way out).
// Wall time is exactly useful + lost work + stall + restart.
//
// With stall_s == time_to_durable_s this is Daly's (2006) model, whose
// long-run goodput expected_goodput() gives in closed form.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace stormsim::models::failures {

struct CampaignSpec {
  double duration_s = 30 * 86400.0;  // wall-clock length of the campaign
  double interval_s = 3600;          // compute time between checkpoints
  double stall_s = 0;                // training stall per checkpoint
  double time_to_durable_s = 0;      // checkpoint start to durable (>= stall_s)
  double restart_s = 0;              // failure to training again
  double mttf_s = 86400;             // job MTTF; infinity: no failures
  std::int64_t gpus = 1;             // for the GPU-hour figures
  int replicates = 100;
  std::uint64_t seed = 1;
};

// One replicate's accounting, in seconds of wall time.
struct CampaignTrace {
  double useful_s = 0;     // progress at the end of the campaign
  double lost_work_s = 0;  // compute done and then discarded by failures
  double stall_s = 0;      // checkpoint stalls (and waits for the previous one)
  double restart_s = 0;    // restarts, including interrupted ones
  int failures = 0;
  int checkpoints = 0;          // started
  int durable_checkpoints = 0;  // became durable
  double goodput(double duration_s) const { return useful_s / duration_s; }
};

// The campaign of `spec` with failures at exactly `failure_times_s`
// (ascending, seconds from the start; those at or past the end are
// ignored). Deterministic: for hand-built failure sequences in tests, and the
// building block of the Monte Carlo.
CampaignTrace run_campaign(const CampaignSpec& spec, std::span<const double> failure_times_s);

// Replicate `replicate`'s failure times: exponential gaps of mean mttf_s from
// a stream derived from (seed, replicate), up to duration_s. The same
// sequence whatever the checkpoint interval (common random numbers).
std::vector<double> draw_failure_times(const CampaignSpec& spec, int replicate);

struct CampaignResult {
  double interval_s = 0;
  int replicates = 0;
  double goodput = 0;  // useful compute time / wall time, mean over replicates
  // Monte Carlo 95% interval of the mean: mean +- 1.96 s / sqrt(n).
  double goodput_ci95_low = 0, goodput_ci95_high = 0;
  double goodput_stddev = 0;  // across replicates
  double failures_mean = 0;   // per campaign
  double checkpoints_mean = 0;
  // Mean per campaign, x gpus / 3600: lost to checkpoint stalls, to lost
  // work (recomputed progress since the last durable checkpoint), to
  // restarts; and useful. They add up to gpu_hours_total = duration x gpus.
  double gpu_hours_stall = 0, gpu_hours_lost_work = 0, gpu_hours_restart = 0;
  double gpu_hours_useful = 0, gpu_hours_total = 0;
  double lost_work_per_failure_s = 0;  // total lost work / total failures
};

// Runs spec.replicates campaigns and summarises them.
CampaignResult simulate_campaign(const CampaignSpec& spec);

// The same replicates (failure sequences) run at each interval.
struct IntervalScan {
  std::vector<double> intervals_s;
  std::vector<CampaignResult> results;
  std::size_t best_index = 0;
  double best_interval_s = 0;  // the scanned interval of highest mean goodput
  // Per interval: mean of (best's goodput - this one's) over replicates, and
  // the 95% half-width of that paired difference. Common random numbers make
  // it far tighter than the goodputs' own intervals.
  std::vector<double> gap_to_best, gap_ci95;
  // The scanned intervals whose goodput is not significantly below the best
  // (gap <= gap_ci95): where the optimum may lie given the Monte Carlo error.
  double tied_low_s = 0, tied_high_s = 0;
  // The Monte Carlo error of the optimum the scan reports:
  // max(best - tied_low, tied_high - best).
  double best_ci_halfwidth_s = 0;
  // A parabola through the best point and its neighbours, in log(interval):
  // a sub-grid estimate of the optimum (best_interval_s at the scan's edge).
  double fitted_best_interval_s = 0;
};

// Simulates `base` at each interval (ascending, > 0) with common random
// numbers and finds the goodput maximum.
IntervalScan scan_intervals(CampaignSpec base, std::vector<double> intervals_s);

// n intervals from lo to hi, evenly spaced in log (n >= 2).
std::vector<double> log_spaced(double lo, double hi, int n);

}  // namespace stormsim::models::failures

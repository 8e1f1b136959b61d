// Failure rates of training jobs and the optimal checkpoint interval.
//
// A job fails when any of its nodes does, so with a constant per-node
// failure rate r the job's failures are a Poisson process of rate N r and
// MTTF_job = 1 / (N_nodes * r) (the model Meta fits in Kokolis et al.,
// "Revisiting Reliability in Large-Scale Machine Learning Research
// Clusters", HPCA 2025). Pure computation, no engine.
#pragma once

#include <cstdint>

namespace stormsim::models::failures {

// Published reference points (see failure_model.cc for the derivations).
// Kokolis et al., HPCA 2025: measured MTTF of 1,024-GPU jobs on Meta's RSC
// clusters (A100, 8 GPUs per node).
inline constexpr double kMetaMttfHours1024Gpus = 7.9;
inline constexpr std::int64_t kMetaJobGpus = 1024;
// The same paper's projections, which CASES.md V4 quotes.
inline constexpr double kMetaProjectedMttfHours16kGpus = 1.8;
inline constexpr double kMetaProjectedMttfHours128kGpus = 0.23;
// Llama 3 paper (Dubey et al., "The Llama 3 Herd of Models", 2024, sec.
// 3.3.4): 419 unexpected interruptions in a 54-day snapshot of pre-training
// on up to 16,384 H100 GPUs (8 per server).
inline constexpr int kLlama3Interruptions = 419;
inline constexpr double kLlama3Days = 54;
inline constexpr std::int64_t kLlama3Gpus = 16384;
// HGX/DGX servers: 8 GPUs per node (both clusters above).
inline constexpr int kGpusPerNode = 8;

// A constant failure rate per node, and the job MTTF it implies.
struct FailureRate {
  double per_node_per_hour = 0;

  // The per-node rate that gives a job of `nodes` nodes this MTTF.
  static FailureRate from_job_mttf(double mttf_hours, std::int64_t nodes);
  // A node of `gpus_per_node` GPUs, each failing with this MTBF (other
  // node components folded into the GPUs' rate).
  static FailureRate from_gpu_mtbf(double mtbf_hours_per_gpu, int gpus_per_node);
  // `failures` observed over `hours` of a job on `nodes` nodes.
  static FailureRate from_observed(double failures, double hours, std::int64_t nodes);

  // 1 / (nodes * r); infinite for a rate of 0.
  double job_mttf_hours(std::int64_t nodes) const;
  double per_node_per_day() const { return per_node_per_hour * 24; }
};

// The rate behind Meta's 7.9 h at 1,024 GPUs (128 nodes): 9.9e-4 per
// node-hour.
FailureRate meta_rsc_rate();
// The rate behind Llama 3's 419 interruptions in 54 days on 2,048 nodes:
// 1.58e-4 per node-hour.
FailureRate llama3_rate();

// Young (1974), first order: tau = sqrt(2 delta M). Seconds in, seconds out.
double young_interval(double checkpoint_s, double mtbf_s);
// Daly (2006), "A higher order estimate of the optimum checkpoint interval
// for restart dumps", FGCS 22(3), eq. 37: for delta < 2M
//   tau = sqrt(2 delta M) (1 + sqrt(delta/2M)/3 + (delta/2M)/9) - delta,
// else tau = M. The compute time between checkpoints; independent of the
// restart time R (it scales the expected run time by e^(R/M) only).
double daly_interval(double checkpoint_s, double mtbf_s);

// The exact optimum of Daly's model (minimises (e^((tau+delta)/M) - 1) /
// tau, found by bisection on its derivative): what a simulated campaign with
// exponential failures and synchronous checkpoints converges to. Daly's
// formula approximates it to better than 0.5% for delta <= M.
double optimal_interval_exact(double checkpoint_s, double mtbf_s);

// Daly's complete model of a synchronous checkpoint scheme (2006, eq. 13
// with failures during restart and checkpoint): expected useful fraction of
// wall time, tau / (M e^(R/M) (e^((tau+delta)/M) - 1)). Exact in the long-run
// limit for exponential failures.
double expected_goodput(double interval_s, double checkpoint_s, double restart_s, double mtbf_s);
// The first-order approximation of the same: the checkpoint overhead
// tau/(tau + delta) times 1 - (R + (tau + delta)/2)/M (a restart and half a
// cycle lost per failure); for comparison, and negative where it no longer
// applies.
double expected_goodput_first_order(double interval_s, double checkpoint_s, double restart_s,
                                    double mtbf_s);

}  // namespace stormsim::models::failures

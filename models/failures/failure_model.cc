#include "models/failures/failure_model.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace stormsim::models::failures {

FailureRate FailureRate::from_job_mttf(double mttf_hours, std::int64_t nodes) {
  assert(mttf_hours > 0 && nodes > 0);
  return FailureRate{1.0 / (mttf_hours * static_cast<double>(nodes))};
}

FailureRate FailureRate::from_gpu_mtbf(double mtbf_hours_per_gpu, int gpus_per_node) {
  assert(mtbf_hours_per_gpu > 0 && gpus_per_node > 0);
  return FailureRate{static_cast<double>(gpus_per_node) / mtbf_hours_per_gpu};
}

FailureRate FailureRate::from_observed(double failures, double hours, std::int64_t nodes) {
  assert(hours > 0 && nodes > 0 && failures >= 0);
  return FailureRate{failures / (hours * static_cast<double>(nodes))};
}

double FailureRate::job_mttf_hours(std::int64_t nodes) const {
  const double rate = per_node_per_hour * static_cast<double>(nodes);
  return rate > 0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

// 7.9 h x 128 nodes = 1,011 node-hours between failures: r = 9.89e-4 per
// node-hour (0.0237 per node-day). With MTTF_job = 1/(N r) this gives 0.49 h
// at 16,384 GPUs and 0.062 h at 131,072: the paper's own projections (1.8 h,
// 0.23 h) follow the same 1/N law (their ratio is 7.8, N's is 8) but from a
// rate 3.7x lower, 2.7e-4 per node-hour (6.5 per 1,000 node-days), so the
// 7.9 h measurement and the projections do not share one constant rate.
FailureRate meta_rsc_rate() {
  return FailureRate::from_job_mttf(kMetaMttfHours1024Gpus, kMetaJobGpus / kGpusPerNode);
}

// 419 interruptions / (54 d x 24 h x 2,048 nodes) = 1.58e-4 per node-hour
// (3.8 per 1,000 node-days), a job MTTF of 3.1 h at 16,384 GPUs: 6.3x fewer
// failures per node than the 7.9 h figure implies and 1.7x fewer than
// Meta's 1.8 h projection for the same GPU count (H100s in a production
// pre-training run, against A100 research clusters whose failures include
// every job's, user errors excluded or not).
FailureRate llama3_rate() {
  return FailureRate::from_observed(kLlama3Interruptions, kLlama3Days * 24,
                                    kLlama3Gpus / kGpusPerNode);
}

double young_interval(double checkpoint_s, double mtbf_s) {
  assert(checkpoint_s >= 0 && mtbf_s > 0);
  return std::sqrt(2 * checkpoint_s * mtbf_s);
}

double daly_interval(double checkpoint_s, double mtbf_s) {
  assert(checkpoint_s >= 0 && mtbf_s > 0);
  if (checkpoint_s >= 2 * mtbf_s)
    return mtbf_s;
  const double x = checkpoint_s / (2 * mtbf_s);
  return std::sqrt(2 * checkpoint_s * mtbf_s) * (1 + std::sqrt(x) / 3 + x / 9) - checkpoint_s;
}

double optimal_interval_exact(double checkpoint_s, double mtbf_s) {
  assert(checkpoint_s >= 0 && mtbf_s > 0);
  if (checkpoint_s == 0)
    return 0;
  // d/dtau of (e^((tau+delta)/M) - 1)/tau is zero where
  // h(tau) = e^((tau+delta)/M) (tau/M - 1) + 1 = 0; h(0) < 0, h(M) = 1 and h
  // increases, so the root is in (0, M).
  const auto h = [&](double tau) {
    return std::exp((tau + checkpoint_s) / mtbf_s) * (tau / mtbf_s - 1) + 1;
  };
  double lo = 0, hi = mtbf_s;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * mtbf_s; ++i) {
    const double mid = 0.5 * (lo + hi);
    (h(mid) < 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double expected_goodput(double interval_s, double checkpoint_s, double restart_s, double mtbf_s) {
  assert(interval_s > 0 && checkpoint_s >= 0 && restart_s >= 0 && mtbf_s > 0);
  return interval_s /
         (mtbf_s * std::exp(restart_s / mtbf_s) * std::expm1((interval_s + checkpoint_s) / mtbf_s));
}

double expected_goodput_first_order(double interval_s, double checkpoint_s, double restart_s,
                                    double mtbf_s) {
  assert(interval_s > 0 && checkpoint_s >= 0 && restart_s >= 0 && mtbf_s > 0);
  const double cycle = interval_s + checkpoint_s;
  return interval_s / cycle * (1 - (restart_s + cycle / 2) / mtbf_s);
}

}  // namespace stormsim::models::failures

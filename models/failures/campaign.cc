#include "models/failures/campaign.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sim/random.h"

namespace stormsim::models::failures {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kZ95 = 1.959963984540054;

// One replicate's timeline as a small state machine over wall time.
class Timeline {
 public:
  Timeline(const CampaignSpec& spec, std::span<const double> failures) : s_(spec), f_(failures) {}

  CampaignTrace run() {
    const double end = s_.duration_s;
    while (t_ < end) {
      if (!compute(std::min(t_ + left_, end)))
        continue;
      if (t_ >= end)
        break;
      if (!wait_for_previous(end))
        continue;
      if (t_ >= end)
        break;
      stall(end);
    }
    tr_.useful_s = p_;
    return tr_;
  }

 private:
  double next_failure() const { return k_ < f_.size() ? f_[k_] : kInf; }

  void settle(double now) {
    if (pending_ && durable_at_ <= now) {
      durable_ = captured_;
      pending_ = false;
      ++tr_.durable_checkpoints;
    }
  }

  // Computes until `stop`; false when a failure came first.
  bool compute(double stop) {
    const double nf = next_failure();
    const double until = std::min(nf, stop);
    p_ += until - t_;
    left_ -= until - t_;
    t_ = until;
    if (nf < stop) {
      fail();
      return false;
    }
    return true;
  }

  // Stalls until the previous checkpoint is durable; false on a failure.
  bool wait_for_previous(double end) {
    settle(t_);
    if (!pending_)
      return true;
    const double stop = std::min(durable_at_, end);
    const double nf = next_failure();
    if (nf < stop) {
      tr_.stall_s += nf - t_;
      t_ = nf;
      fail();
      return false;
    }
    tr_.stall_s += stop - t_;
    t_ = stop;
    settle(t_);
    return true;
  }

  void stall(double end) {
    pending_ = true;
    captured_ = p_;
    durable_at_ = t_ + s_.time_to_durable_s;
    ++tr_.checkpoints;
    const double stop = std::min(t_ + s_.stall_s, end);
    const double nf = next_failure();
    if (nf < stop) {
      tr_.stall_s += nf - t_;
      t_ = nf;
      fail();
      return;
    }
    tr_.stall_s += stop - t_;
    t_ = stop;
    settle(t_);
    left_ = s_.interval_s;
  }

  // A failure now: back to the last durable checkpoint, then restart (a
  // failure during the restart starts it over).
  void fail() {
    settle(t_);
    ++tr_.failures;
    ++k_;
    tr_.lost_work_s += p_ - durable_;
    p_ = durable_;
    pending_ = false;
    const double end = s_.duration_s;
    double done_at = t_ + s_.restart_s;
    while (next_failure() < std::min(done_at, end)) {
      tr_.restart_s += next_failure() - t_;
      t_ = next_failure();
      ++tr_.failures;
      ++k_;
      done_at = t_ + s_.restart_s;
    }
    const double stop = std::min(done_at, end);
    tr_.restart_s += stop - t_;
    t_ = stop;
    left_ = s_.interval_s;
  }

  const CampaignSpec& s_;
  std::span<const double> f_;
  std::size_t k_ = 0;     // next failure
  double t_ = 0;          // wall clock
  double p_ = 0;          // progress (compute seconds that count)
  double durable_ = 0;    // progress in the last durable checkpoint
  bool pending_ = false;  // a checkpoint persisting
  double captured_ = 0, durable_at_ = 0;
  double left_ = s_.interval_s;  // compute until the next checkpoint
  CampaignTrace tr_;
};

void check_spec(const CampaignSpec& s) {
  assert(s.duration_s > 0 && s.interval_s > 0 && s.stall_s >= 0 && s.restart_s >= 0);
  assert(s.time_to_durable_s >= s.stall_s && s.mttf_s > 0 && s.replicates >= 1);
  (void)s;
}

// Running sums of one interval's replicates.
struct Sums {
  double goodput = 0, goodput2 = 0, failures = 0, checkpoints = 0;
  double useful = 0, lost = 0, stall = 0, restart = 0;

  void add(const CampaignTrace& tr, double duration_s) {
    const double g = tr.goodput(duration_s);
    goodput += g;
    goodput2 += g * g;
    failures += tr.failures;
    checkpoints += tr.checkpoints;
    useful += tr.useful_s;
    lost += tr.lost_work_s;
    stall += tr.stall_s;
    restart += tr.restart_s;
  }

  CampaignResult result(const CampaignSpec& s) const {
    const double n = s.replicates;
    CampaignResult r;
    r.interval_s = s.interval_s;
    r.replicates = s.replicates;
    r.goodput = goodput / n;
    const double var = n > 1 ? std::max(0.0, (goodput2 - n * r.goodput * r.goodput) / (n - 1)) : 0;
    r.goodput_stddev = std::sqrt(var);
    const double half = kZ95 * r.goodput_stddev / std::sqrt(n);
    r.goodput_ci95_low = r.goodput - half;
    r.goodput_ci95_high = r.goodput + half;
    r.failures_mean = failures / n;
    r.checkpoints_mean = checkpoints / n;
    const double per_s = static_cast<double>(s.gpus) / 3600 / n;
    r.gpu_hours_useful = useful * per_s;
    r.gpu_hours_lost_work = lost * per_s;
    r.gpu_hours_stall = stall * per_s;
    r.gpu_hours_restart = restart * per_s;
    r.gpu_hours_total = s.duration_s * static_cast<double>(s.gpus) / 3600;
    r.lost_work_per_failure_s = failures > 0 ? lost / failures : 0;
    return r;
  }
};

// The vertex of the parabola through (x0,y0), (x1,y1), (x2,y2).
double parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2) {
  const double d0 = (y1 - y0) / (x1 - x0), d1 = (y2 - y1) / (x2 - x1);
  const double curvature = (d1 - d0) / (x2 - x0);
  if (curvature >= 0)
    return x1;
  return 0.5 * (x0 + x1) - d0 / (2 * curvature);
}

}  // namespace

CampaignTrace run_campaign(const CampaignSpec& spec, std::span<const double> failure_times_s) {
  check_spec(spec);
  assert(std::is_sorted(failure_times_s.begin(), failure_times_s.end()));
  return Timeline(spec, failure_times_s).run();
}

std::vector<double> draw_failure_times(const CampaignSpec& spec, int replicate) {
  std::vector<double> times;
  if (!std::isfinite(spec.mttf_s))
    return times;
  sim::Rng rng(sim::RngStreams::derive_seed(spec.seed, fmt::format("campaign/{}", replicate)));
  for (double t = rng.exponential(spec.mttf_s); t < spec.duration_s;
       t += rng.exponential(spec.mttf_s)) {
    times.push_back(t);
  }
  return times;
}

CampaignResult simulate_campaign(const CampaignSpec& spec) {
  return scan_intervals(spec, {spec.interval_s}).results.front();
}

IntervalScan scan_intervals(CampaignSpec base, std::vector<double> intervals_s) {
  assert(!intervals_s.empty() && std::is_sorted(intervals_s.begin(), intervals_s.end()));
  check_spec(base);
  const std::size_t m = intervals_s.size();
  const auto n = static_cast<std::size_t>(base.replicates);
  std::vector<Sums> sums(m);
  std::vector<double> goodput(m * n);  // [interval][replicate]
  std::vector<CampaignSpec> specs(m, base);
  for (std::size_t i = 0; i < m; ++i)
    specs[i].interval_s = intervals_s[i];
  for (std::size_t r = 0; r < n; ++r) {
    const std::vector<double> failures = draw_failure_times(base, static_cast<int>(r));
    for (std::size_t i = 0; i < m; ++i) {
      const CampaignTrace tr = run_campaign(specs[i], failures);
      sums[i].add(tr, base.duration_s);
      goodput[i * n + r] = tr.goodput(base.duration_s);
    }
  }

  IntervalScan scan;
  scan.intervals_s = std::move(intervals_s);
  for (std::size_t i = 0; i < m; ++i)
    scan.results.push_back(sums[i].result(specs[i]));
  std::size_t b = 0;
  for (std::size_t i = 1; i < m; ++i) {
    if (scan.results[i].goodput > scan.results[b].goodput)
      b = i;
  }
  scan.best_index = b;
  scan.best_interval_s = scan.intervals_s[b];
  scan.tied_low_s = scan.tied_high_s = scan.best_interval_s;
  for (std::size_t i = 0; i < m; ++i) {
    double sum = 0, sum2 = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const double d = goodput[b * n + r] - goodput[i * n + r];
      sum += d;
      sum2 += d * d;
    }
    const double dn = static_cast<double>(n);
    const double mean = sum / dn;
    const double var = n > 1 ? std::max(0.0, (sum2 - dn * mean * mean) / (dn - 1)) : 0;
    scan.gap_to_best.push_back(mean);
    scan.gap_ci95.push_back(kZ95 * std::sqrt(var / dn));
    if (mean <= scan.gap_ci95.back()) {
      scan.tied_low_s = std::min(scan.tied_low_s, scan.intervals_s[i]);
      scan.tied_high_s = std::max(scan.tied_high_s, scan.intervals_s[i]);
    }
  }
  scan.best_ci_halfwidth_s =
      std::max(scan.best_interval_s - scan.tied_low_s, scan.tied_high_s - scan.best_interval_s);
  scan.fitted_best_interval_s = scan.best_interval_s;
  if (b > 0 && b + 1 < m) {
    const auto x = [&](std::size_t i) { return std::log(scan.intervals_s[i]); };
    const auto y = [&](std::size_t i) { return scan.results[i].goodput; };
    scan.fitted_best_interval_s =
        std::exp(parabola_vertex(x(b - 1), y(b - 1), x(b), y(b), x(b + 1), y(b + 1)));
  }
  return scan;
}

std::vector<double> log_spaced(double lo, double hi, int n) {
  assert(lo > 0 && hi >= lo && n >= 2);
  std::vector<double> out;
  for (int i = 0; i < n; ++i)
    out.push_back(lo * std::pow(hi / lo, static_cast<double>(i) / (n - 1)));
  out.back() = hi;
  return out;
}

}  // namespace stormsim::models::failures

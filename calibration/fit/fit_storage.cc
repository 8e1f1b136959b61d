#include "calibration/fit/fit_storage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace stormsim::calibration {

using models::devices::IoCurve;
using models::devices::IoOp;
using models::devices::kAllIoOps;
using models::devices::NvmeProfile;
using models::devices::WriteCliff;

namespace {

// A throughput this far below the latency bound q / L1 is the device's
// limit, not the client's.
constexpr double kSaturatedBelow = 0.8;
// The fraction of requests in the tail is capped where it would move the
// median.
constexpr double kMaxTailFraction = 0.45;
constexpr double kConfidence = 0.95;

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

std::size_t distinct(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin());
}

nlohmann::json rounded(const std::vector<double>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (double x : v)
    out.push_back(std::round(x * 1e5) / 1e5);
  return out;
}

struct OpFit {
  std::vector<const StoragePoint*> points;
  std::vector<const StoragePoint*> low;        // lowest queue depth
  std::vector<const StoragePoint*> saturated;  // the device's limit
  LatencyLine line;
  IoCurve curve;
  nlohmann::json residuals = nlohmann::json::object();
};

// s / (1 + f x scale) etc.: the tail from the lowest-depth points' mean,
// median and p99 completion latencies.
void fit_tail(OpFit& f) {
  std::vector<double> excess, scale;
  for (const StoragePoint* p : f.low) {
    if (p->clat_p50 <= 0)
      continue;
    excess.push_back(std::max(0.0, p->clat_mean / p->clat_p50 - 1));
    if (p->clat_p99 > 0)
      scale.push_back(std::max(0.0, p->clat_p99 / p->clat_p50 - 1));
  }
  const double m = mean(excess);
  double s = mean(scale);
  if (m <= 0 || s <= 0) {
    f.residuals["tail"] = {{"mean_over_median_minus_1", m}, {"fraction", 0}, {"scale", 0}};
    return;
  }
  double fraction = m / s;
  if (fraction > kMaxTailFraction) {
    fraction = kMaxTailFraction;
    s = m / fraction;
  }
  f.curve.tail_fraction = fraction;
  f.curve.tail_scale = s;
  f.residuals["tail"] = {{"mean_over_median_minus_1", rounded(excess)},
                         {"p99_over_median_minus_1", rounded(scale)},
                         {"fraction", fraction},
                         {"scale", s}};
}

double predicted_cycle(const OpFit& f, double submit, double bytes) {
  const double body = f.line.a + bytes * f.line.per_byte;
  return submit + body * (1 + f.curve.tail_fraction * f.curve.tail_scale);
}

void pick_saturated(OpFit& f, double submit, std::vector<std::string>& notes, IoOp op) {
  int max_depth = 0;
  for (const StoragePoint* p : f.points)
    max_depth = std::max(max_depth, p->iodepth);
  for (const StoragePoint* p : f.points) {
    if (p->iodepth <= 1)
      continue;
    const double bound = p->iodepth / predicted_cycle(f, submit, p->bytes);
    if (p->iops < kSaturatedBelow * bound)
      f.saturated.push_back(p);
  }
  if (f.saturated.empty() && max_depth > 1) {
    notes.push_back(fmt::format(
        "{}: no point reached the device's limit; the deepest queue's throughput is taken as it",
        name(op)));
    for (const StoragePoint* p : f.points) {
      if (p->iodepth == max_depth)
        f.saturated.push_back(p);
    }
  }
}

double knee_objective(std::vector<OpFit>& fits, double k) {
  double sse = 0;
  for (OpFit& f : fits) {
    if (f.saturated.size() < 2)
      continue;
    std::vector<double> s, x;
    for (const StoragePoint* p : f.saturated) {
      s.push_back(p->bytes);
      x.push_back(p->iops);
    }
    sse += fit_saturation(s, x, k).sse;
  }
  return sse;
}

// The knee shared by every operation: a grid over log k, then golden
// section around the best grid point.
double fit_knee(std::vector<OpFit>& fits, nlohmann::json& residuals) {
  bool identifiable = false;
  for (const OpFit& f : fits) {
    std::vector<double> sizes;
    for (const StoragePoint* p : f.saturated)
      sizes.push_back(p->bytes);
    identifiable = identifiable || distinct(sizes) >= 3;
  }
  if (!identifiable) {
    residuals["knee"] = {{"k", "hard"}, {"why", "no operation has 3 saturated request sizes"}};
    return IoCurve::kHardKnee;
  }
  constexpr double kLo = 0.5, kHi = 64;
  constexpr int kGrid = 48;
  double best_x = std::log(kLo), best = knee_objective(fits, kLo);
  const double step = (std::log(kHi) - std::log(kLo)) / kGrid;
  for (int i = 1; i <= kGrid; ++i) {
    const double x = std::log(kLo) + step * i;
    const double v = knee_objective(fits, std::exp(x));
    if (v < best) {
      best = v;
      best_x = x;
    }
  }
  double lo = std::max(std::log(kLo), best_x - step), hi = std::min(std::log(kHi), best_x + step);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = knee_objective(fits, std::exp(x1)), f2 = knee_objective(fits, std::exp(x2));
  for (int i = 0; i < 80 && hi - lo > 1e-9; ++i) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = knee_objective(fits, std::exp(x1));
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = knee_objective(fits, std::exp(x2));
    }
  }
  double k = std::exp((lo + hi) / 2);
  if (best < std::min(f1, f2))
    k = std::exp(best_x);
  residuals["knee"] = {{"k", k}, {"sse_relative", knee_objective(fits, k)}};
  return k;
}

void fit_bounds(OpFit& f, double knee) {
  std::vector<double> s, x;
  for (const StoragePoint* p : f.saturated) {
    s.push_back(p->bytes);
    x.push_back(p->iops);
  }
  if (knee == IoCurve::kHardKnee || f.saturated.size() < 2) {
    // The roofline through the points: each bound from the points it binds.
    double iops = 0, bw = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      iops = std::max(iops, x[i]);
      bw = std::max(bw, x[i] * s[i]);
    }
    f.curve.max_iops = iops;
    f.curve.max_bandwidth = sim::BytesPerSec(bw);
    f.residuals["saturation"] = {{"points", s.size()}, {"form", "min(max_iops, max_bw / s)"}};
    return;
  }
  const SaturationFit sat = fit_saturation(s, x, knee);
  f.curve.max_iops = sat.max_iops;
  f.curve.max_bandwidth = sim::BytesPerSec(sat.max_bandwidth);
  const double t = sat.dof > 0 ? student_t_quantile(0.5 + kConfidence / 2, sat.dof) : 0.0;
  f.residuals["saturation"] = {{"points", s.size()},
                               {"dof", sat.dof},
                               {"max_iops", sat.max_iops},
                               {"max_iops_se", sat.max_iops_se},
                               {"max_iops_ci95", t * sat.max_iops_se},
                               {"max_bandwidth", sat.max_bandwidth},
                               {"max_bandwidth_se", sat.max_bandwidth_se},
                               {"max_bandwidth_ci95", t * sat.max_bandwidth_se},
                               {"relative_residuals", rounded(sat.relative_residuals)}};
}

void fit_line(OpFit& f) {
  std::vector<double> s, y;
  for (const StoragePoint* p : f.low) {
    s.push_back(p->bytes);
    y.push_back(p->clat_p50);
  }
  f.line = fit_latency_line(s, y);
  nlohmann::json r = {{"points", s.size()}, {"depth", f.low.front()->iodepth}};
  r["a_s"] = f.line.a;
  r["B_bytes_per_s"] = f.line.per_byte > 0 ? 1 / f.line.per_byte : kUnbounded;
  if (f.line.from_line) {
    const LinearFit& lf = f.line.fit;
    r["dof"] = lf.dof;
    r["a_se"] = lf.standard_error[0];
    r["a_ci95"] = lf.half_width(0, kConfidence);
    // B = 1 / c1: delta method.
    const double c1 = lf.beta[1];
    r["B_se"] = c1 != 0 ? lf.standard_error[1] / (c1 * c1) : 0.0;
    std::vector<double> rel;
    for (std::size_t i = 0; i < y.size(); ++i)
      rel.push_back(lf.residuals[static_cast<Eigen::Index>(i)] / y[i]);
    r["relative_residuals"] = rounded(rel);
  }
  f.residuals["latency_qd1"] = r;
}

IoCurve finish_curve(OpFit& f, std::vector<std::string>& notes, IoOp op) {
  IoCurve c = f.curve;
  c.base_latency = sim::Time::from_seconds(std::max(0.0, f.line.a));
  if (f.line.per_byte > 0) {
    c.transfer_rate = sim::BytesPerSec(1 / f.line.per_byte);
  } else {
    // One size, or latency that does not grow with size: the transfer
    // happens at the saturated bandwidth.
    c.transfer_rate = c.max_bandwidth;
    if (!f.line.from_line && !f.low.empty()) {
      const StoragePoint& p = *f.low.front();
      c.base_latency =
          sim::Time::from_seconds(std::max(0.0, p.clat_p50 - p.bytes / c.max_bandwidth.value()));
    }
    notes.push_back(fmt::format(
        "{}: latency does not grow with size in the data; B = max_bandwidth", name(op)));
  }
  return c;
}

// An operation without points borrows from its nearest sibling.
std::optional<IoOp> sibling(IoOp op, const std::vector<OpFit>& fits) {
  const std::array<std::array<IoOp, 3>, 4> order = {{
      {IoOp::kRandRead, IoOp::kWrite, IoOp::kRandWrite},  // read
      {IoOp::kRandWrite, IoOp::kRead, IoOp::kRandRead},   // write
      {IoOp::kRead, IoOp::kRandWrite, IoOp::kWrite},      // randread
      {IoOp::kWrite, IoOp::kRandRead, IoOp::kRead},       // randwrite
  }};
  for (IoOp o : order[static_cast<std::size_t>(op)]) {
    if (!fits[static_cast<std::size_t>(o)].points.empty())
      return o;
  }
  return std::nullopt;
}

double fit_submit_overhead(const std::vector<OpFit>& fits, nlohmann::json& residuals) {
  std::vector<double> o;
  for (const OpFit& f : fits) {
    for (const StoragePoint* p : f.low) {
      if (p->iodepth == 1)
        o.push_back(std::max(0.0, 1.0 / p->iops - p->clat_mean));
    }
  }
  // The median: one operation's slow submissions (random writes on a
  // virtio disk) should not slow every other one.
  std::sort(o.begin(), o.end());
  const double m = o.empty()      ? 0.0
                   : o.size() % 2 ? o[o.size() / 2]
                                  : (o[o.size() / 2 - 1] + o[o.size() / 2]) / 2;
  residuals["submit_overhead"] = {{"s", m}, {"points", o.size()}, {"per_point_s", o}};
  return m;
}

}  // namespace

LatencyLine fit_latency_line(const std::vector<double>& bytes, const std::vector<double>& p50) {
  LatencyLine line;
  if (distinct(bytes) < 2) {
    line.a = mean(p50);  // refined by finish_curve once max_bandwidth is known
    return line;
  }
  line.fit = fit_line_relative(bytes, p50);
  line.from_line = true;
  line.a = line.fit.beta[0];
  line.per_byte = line.fit.beta[1];
  if (line.a < 0) {
    // Through the origin: y = s / B, relative least squares in closed form.
    double num = 0, den = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      num += bytes[i] / p50[i];
      den += bytes[i] * bytes[i] / (p50[i] * p50[i]);
    }
    line.a = 0;
    line.per_byte = num / den;
  }
  if (line.per_byte < 0) {
    line.per_byte = 0;
    line.a = mean(p50);
  }
  return line;
}

SaturationFit fit_saturation(const std::vector<double>& bytes, const std::vector<double>& iops,
                             double knee) {
  const auto n = static_cast<Eigen::Index>(bytes.size());
  SaturationFit out;
  auto solve = [&](bool use_u, bool use_v) {
    const Eigen::Index cols = (use_u ? 1 : 0) + (use_v ? 1 : 0);
    Eigen::MatrixXd a(n, cols);
    Eigen::VectorXd z(n), w(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(i);
      Eigen::Index c = 0;
      if (use_u)
        a(i, c++) = 1;
      if (use_v)
        a(i, c++) = std::pow(bytes[j], knee);
      z[i] = std::pow(iops[j], -knee);
      // A relative error e in X is k e in z.
      w[i] = 1.0 / (z[i] * z[i]);
    }
    return weighted_least_squares(a, z, w);
  };
  double u = 0, v = 0, u_se = 0, v_se = 0;
  LinearFit f = solve(true, true);
  u = f.beta[0];
  v = f.beta[1];
  u_se = f.standard_error[0];
  v_se = f.standard_error[1];
  if (u <= 0 || v <= 0) {
    const bool keep_u = u > 0;
    f = solve(keep_u, !keep_u);
    (keep_u ? u : v) = f.beta[0];
    (keep_u ? u_se : v_se) = f.standard_error[0];
    (keep_u ? v : u) = 0;
    (keep_u ? v_se : u_se) = 0;
  }
  out.fit = f;
  out.dof = f.dof;
  // max = p^(-1/k): d max / d p = -(1/k) p^(-1/k - 1).
  auto bound = [&](double p, double se, double& value, double& value_se) {
    if (p <= 0) {
      value = kUnbounded;
      value_se = 0;
      return;
    }
    value = std::pow(p, -1 / knee);
    value_se = value / (knee * p) * se;
  };
  bound(u, u_se, out.max_iops, out.max_iops_se);
  bound(v, v_se, out.max_bandwidth, out.max_bandwidth_se);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto j = static_cast<std::size_t>(i);
    const double predicted = std::pow(u + v * std::pow(bytes[j], knee), -1 / knee);
    const double rel = predicted / iops[j] - 1;
    out.relative_residuals.push_back(rel);
    out.sse += rel * rel;
  }
  return out;
}

std::optional<WriteCliff> find_write_cliff(const std::vector<double>& series, double interval) {
  const std::size_t n = series.size();
  if (n < 4)
    return std::nullopt;
  const double total_mean = mean(series);
  double total_ss = 0;
  for (double v : series)
    total_ss += (v - total_mean) * (v - total_mean);
  double best_ss = total_ss;
  std::size_t best = 0;
  for (std::size_t j = 2; j + 2 <= n; ++j) {
    const std::vector<double> before(series.begin(), series.begin() + static_cast<long>(j));
    const std::vector<double> after(series.begin() + static_cast<long>(j), series.end());
    const double mb = mean(before), ma = mean(after);
    double ss = 0;
    for (double v : before)
      ss += (v - mb) * (v - mb);
    for (double v : after)
      ss += (v - ma) * (v - ma);
    if (ss < best_ss) {
      best_ss = ss;
      best = j;
    }
  }
  if (best == 0 || total_ss <= 0)
    return std::nullopt;
  const std::vector<double> before(series.begin(), series.begin() + static_cast<long>(best));
  const std::vector<double> after(series.begin() + static_cast<long>(best), series.end());
  const double mb = mean(before), ma = mean(after);
  if (!(ma < 0.7 * mb) || best_ss > 0.2 * total_ss)
    return std::nullopt;
  const double cache = std::accumulate(before.begin(), before.end(), 0.0) * interval;
  return WriteCliff{sim::Bytes(cache), sim::BytesPerSec(mb), sim::BytesPerSec(ma)};
}

std::optional<StorageFit> fit_storage(const std::vector<StoragePoint>& points) {
  if (points.empty())
    return std::nullopt;
  StorageFit out;
  std::vector<OpFit> fits(models::devices::kIoOps);
  for (const StoragePoint& p : points)
    fits[static_cast<std::size_t>(p.op)].points.push_back(&p);
  for (IoOp op : kAllIoOps) {
    OpFit& f = fits[static_cast<std::size_t>(op)];
    if (f.points.empty())
      continue;
    int low_depth = f.points.front()->iodepth;
    for (const StoragePoint* p : f.points)
      low_depth = std::min(low_depth, p->iodepth);
    for (const StoragePoint* p : f.points) {
      if (p->iodepth == low_depth)
        f.low.push_back(p);
    }
    if (low_depth > 1) {
      out.notes.push_back(
          fmt::format("{}: no queue-depth-1 point; the unloaded latency comes from depth {}",
                      name(op), low_depth));
    }
    fit_line(f);
    fit_tail(f);
  }
  const double submit = fit_submit_overhead(fits, out.residuals);
  out.nvme.submit_overhead = sim::Time::from_seconds(submit);
  for (IoOp op : kAllIoOps) {
    OpFit& f = fits[static_cast<std::size_t>(op)];
    if (!f.points.empty())
      pick_saturated(f, submit, out.notes, op);
  }
  const double knee = fit_knee(fits, out.residuals);
  for (IoOp op : kAllIoOps) {
    OpFit& f = fits[static_cast<std::size_t>(op)];
    if (f.points.empty())
      continue;
    f.curve.knee = knee;
    if (f.saturated.empty()) {
      // Only one queue depth: the bounds are unknown, set well above what was seen.
      double iops = 0, bw = 0;
      for (const StoragePoint* p : f.points) {
        iops = std::max(iops, p->iops);
        bw = std::max(bw, p->bw);
      }
      f.curve.max_iops = 10 * iops;
      f.curve.max_bandwidth = sim::BytesPerSec(10 * bw);
      out.notes.push_back(fmt::format(
          "{}: one queue depth only; saturation bounds set at 10x the largest measured", name(op)));
    } else {
      fit_bounds(f, knee);
    }
    out.nvme.curve(op) = finish_curve(f, out.notes, op);
    out.residuals[std::string(name(op))] = f.residuals;
  }
  for (IoOp op : kAllIoOps) {
    if (!fits[static_cast<std::size_t>(op)].points.empty())
      continue;
    const auto from = sibling(op, fits);
    if (!from)
      return std::nullopt;
    out.nvme.curve(op) = out.nvme.curve(*from);
    out.residuals[std::string(name(op))] = {{"copied_from", name(*from)}};
    out.notes.push_back(fmt::format("{}: not measured; copied from {}", name(op), name(*from)));
  }
  // The write cliff: the clearest one among the write points' series.
  for (const StoragePoint& p : points) {
    if (!models::devices::is_write(p.op))
      continue;
    const auto cliff = find_write_cliff(p.series, p.series_interval);
    if (cliff && (!out.nvme.cliff ||
                  cliff->before / cliff->after > out.nvme.cliff->before / out.nvme.cliff->after)) {
      out.nvme.cliff = cliff;
      out.residuals["cliff"] = {{"point", p.jobname},
                                {"cache_bytes", cliff->cache.value()},
                                {"before_bytes_per_s", cliff->before.value()},
                                {"after_bytes_per_s", cliff->after.value()}};
    }
  }
  return out;
}

}  // namespace stormsim::calibration

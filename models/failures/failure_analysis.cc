#include "models/failures/failure_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/registry.h"
#include "sim/units.h"

namespace stormsim::models::failures {

using sim::config::ModelSpec;
using sim::config::ParamSpec;

namespace {

constexpr double kHour = 3600;

double hours(double s) {
  return s / kHour;
}

nlohmann::json result_json(const CampaignResult& r) {
  return {{"interval_s", r.interval_s},
          {"goodput", r.goodput},
          {"goodput_ci95", {r.goodput_ci95_low, r.goodput_ci95_high}},
          {"failures_mean", r.failures_mean},
          {"checkpoints_mean", r.checkpoints_mean},
          {"lost_work_per_failure_s", r.lost_work_per_failure_s},
          {"gpu_hours",
           {{"useful", r.gpu_hours_useful},
            {"stall", r.gpu_hours_stall},
            {"lost_work", r.gpu_hours_lost_work},
            {"restart", r.gpu_hours_restart},
            {"total", r.gpu_hours_total}}}};
}

}  // namespace

ModelSpec FailureAnalysis::spec() {
  return ModelSpec{
      "failure_analysis",
      "A training job's failure rate (MTTF_job = 1/(N_nodes r)), Young's and Daly's optimal "
      "checkpoint intervals, and a Monte Carlo training campaign's goodput and GPU-hours lost "
      "to stalls, lost work and restarts over a scan of checkpoint intervals.",
      {
          // At most one of the four ways to give the failure rate; with none, Meta's 7.9 h
          // MTTF of 1,024-GPU jobs (Kokolis et al., HPCA 2025) as a per-node rate.
          ParamSpec::time("job_mttf")
              .def("0s")
              .min(0)
              .help("mean time to failure of this job (0: not given)"),
          ParamSpec::real("node_failure_rate")
              .def("0")
              .min(0)
              .help("failures per node-hour (0: not given)"),
          ParamSpec::time("gpu_mtbf")
              .def("0s")
              .min(0)
              .help("mean time between failures of one GPU, other node parts included (0: not "
                    "given)"),
          ParamSpec::real("observed_failures")
              .def("0")
              .min(0)
              .help("failures seen on this job over observed_over (0: not given)"),
          ParamSpec::time("observed_over")
              .def("0s")
              .min(0)
              .help("the wall time observed_failures were counted over"),
          // Meta's reference job (Kokolis et al., HPCA 2025): 1,024 GPUs.
          ParamSpec::integer("gpus").def("1024").min(1).help("GPUs of the job"),
          // HGX/DGX H100 and A100 servers: 8 GPUs each.
          ParamSpec::integer("gpus_per_node").def("8").min(1).max(1024).help("GPUs per node"),
          ParamSpec::integer("nodes").def("0").min(0).help(
              "nodes of the job (0: gpus / gpus_per_node)"),
          ParamSpec::string_list("project_gpus")
              .def("[]")
              .help("GPU counts to project the job MTTF to at the same per-node rate"),
          // Daly 2006's worked example (delta = 5 min, R = 10 min); an assumption until a
          // checkpoint workload in the scenario supplies measured times.
          ParamSpec::time("checkpoint_time")
              .def("5min")
              .min(0)
              .help("training stall per checkpoint (Daly's delta)"),
          ParamSpec::time("time_to_durable")
              .def("0s")
              .min(0)
              .help("checkpoint start to durable, >= checkpoint_time (0: = checkpoint_time)"),
          ParamSpec::time("restart_time")
              .def("10min")
              .min(0)
              .help("failure detection and rescheduling, before the restore read"),
          ParamSpec::time("restore_time").def("0s").min(0).help("reading the checkpoint back"),
          ParamSpec::boolean("campaign").def("true").help("simulate a training campaign"),
          ParamSpec::time("campaign_duration")
              .def("30d")
              .positive()
              .help("wall-clock length of the simulated campaign"),
          ParamSpec::integer("replicates")
              .def("200")
              .min(1)
              .max(1000000)
              .help("Monte Carlo replicates (failure sequences) per interval"),
          ParamSpec::string_list("intervals")
              .def("[]")
              .help("checkpoint intervals to simulate (empty: a scan around Daly's)"),
          ParamSpec::integer("scan_points")
              .def("25")
              .min(2)
              .max(1000)
              .help("intervals of the automatic scan, Daly/4 to 4 Daly, log-spaced"),
      }};
}

STORMSIM_REGISTER_MODEL(FailureAnalysis);

FailureAnalysis::FailureAnalysis(const ComponentContext& ctx)
    : Component(ctx),
      params_(ctx.params),
      engine_(ctx.engine),
      checkpoint_s_(ctx.params.time("checkpoint_time").seconds()),
      durable_s_(ctx.params.time("time_to_durable").seconds()),
      restore_s_(ctx.params.time("restore_time").seconds()) {
  if (!params_.is_default("time_to_durable") && durable_s_ < checkpoint_s_) {
    params_.fail("time_to_durable",
                 fmt::format("{} is less than checkpoint_time ({}): a checkpoint cannot be "
                             "durable before the stall ends",
                             sim::units::format(durable_s_, sim::units::Dimension::kTime),
                             sim::units::format(checkpoint_s_, sim::units::Dimension::kTime)));
  }
  std::string source;
  a_.rate = read_rate(source);
  a_.rate_source = source;
  a_.gpus = params_.integer("gpus");
  const std::int64_t per_node = params_.integer("gpus_per_node");
  a_.nodes = params_.integer("nodes");
  if (a_.nodes == 0)
    a_.nodes = (a_.gpus + per_node - 1) / per_node;
  for (const std::string& text : params_.string_list("project_gpus")) {
    std::int64_t g = 0;
    try {
      std::size_t used = 0;
      g = std::stoll(text, &used);
      if (used != text.size() || g < 1)
        g = 0;
    } catch (const std::exception&) {
      g = 0;
    }
    if (g == 0)
      params_.fail("project_gpus", fmt::format("`{}` is not a GPU count (an integer >= 1)", text));
    const std::int64_t nodes = (g + per_node - 1) / per_node;
    a_.projections.push_back(Projection{g, nodes, a_.rate.job_mttf_hours(nodes)});
  }
  // Validate the interval list now, so that a bad one is a config error.
  bool daly_scanned = false;
  std::size_t daly_index = 0;
  (void)scan_points(1, daly_scanned, daly_index);
}

FailureRate FailureAnalysis::read_rate(std::string& source) const {
  const char* given[] = {"job_mttf", "node_failure_rate", "gpu_mtbf", "observed_failures"};
  std::vector<std::string> set;
  for (const char* key : given) {
    if (!params_.is_default(key))
      set.emplace_back(key);
  }
  if (set.size() > 1) {
    params_.fail(set[1], fmt::format("give one of job_mttf, node_failure_rate, gpu_mtbf, "
                                     "observed_failures; `{}` is already given",
                                     set[0]));
  }
  if (!params_.is_default("observed_over") && (set.empty() || set[0] != "observed_failures"))
    params_.fail("observed_over", "observed_over goes with observed_failures");
  const std::int64_t per_node = params_.integer("gpus_per_node");
  std::int64_t nodes = params_.integer("nodes");
  if (nodes == 0)
    nodes = (params_.integer("gpus") + per_node - 1) / per_node;
  if (set.empty()) {
    source = "default: Meta RSC, 7.9 h MTTF at 1,024 GPUs (Kokolis et al., HPCA 2025)";
    return meta_rsc_rate();
  }
  source = set[0];
  if (source == "job_mttf") {
    const double h = hours(params_.time("job_mttf").seconds());
    if (h <= 0)
      params_.fail("job_mttf", "a job MTTF must be > 0");
    return FailureRate::from_job_mttf(h, nodes);
  }
  if (source == "node_failure_rate") {
    return FailureRate{params_.real("node_failure_rate")};
  }
  if (source == "gpu_mtbf") {
    const double h = hours(params_.time("gpu_mtbf").seconds());
    if (h <= 0)
      params_.fail("gpu_mtbf", "a GPU MTBF must be > 0");
    return FailureRate::from_gpu_mtbf(h, static_cast<int>(per_node));
  }
  const double over = hours(params_.time("observed_over").seconds());
  if (over <= 0)
    params_.fail("observed_failures", "observed_failures needs observed_over > 0");
  return FailureRate::from_observed(params_.real("observed_failures"), over, nodes);
}

std::vector<double> FailureAnalysis::scan_points(double daly_s, bool& daly_scanned,
                                                 std::size_t& daly_index) const {
  std::vector<double> out;
  for (const std::string& text : params_.string_list("intervals")) {
    double s = 0;
    try {
      s = sim::units::parse_time(text).seconds();
    } catch (const sim::units::UnitError& e) {
      params_.fail("intervals", e.what());
    }
    if (s <= 0)
      params_.fail("intervals", fmt::format("interval `{}` must be > 0", text));
    out.push_back(s);
  }
  daly_scanned = false;
  if (!out.empty()) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  out = log_spaced(daly_s / 4, daly_s * 4, static_cast<int>(params_.integer("scan_points")));
  // Daly's interval is the scan's midpoint up to rounding: make that point
  // exact rather than adding a near-duplicate.
  const auto at = std::lower_bound(out.begin(), out.end(), daly_s);
  daly_index = static_cast<std::size_t>(at - out.begin());
  const auto close = [&](std::size_t i) {
    return i < out.size() && std::abs(out[i] - daly_s) <= 1e-9 * daly_s;
  };
  if (daly_index > 0 && close(daly_index - 1))
    --daly_index;
  if (close(daly_index))
    out[daly_index] = daly_s;
  else
    out.insert(at, daly_s);
  daly_scanned = true;
  return out;
}

void FailureAnalysis::use_checkpoint_times(double stall_s, double durable_s, double restore_s) {
  checkpoint_s_ = stall_s;
  durable_s_ = std::max(durable_s, stall_s);
  restore_s_ = restore_s;
  analysed_ = false;
}

void FailureAnalysis::start() {
  engine_.spawn(run(), name() + ".analyse");
}

sim::Task<void> FailureAnalysis::run() {
  co_await engine_.sleep(sim::Time::zero());
  analyse();
}

const FailureAnalysis::Analysis& FailureAnalysis::analyse() {
  if (analysed_)
    return a_;
  a_.job_mttf_s = a_.rate.job_mttf_hours(a_.nodes) * kHour;
  a_.checkpoint_s = checkpoint_s_;
  a_.durable_s = std::max(durable_s_, checkpoint_s_);
  a_.restart_s = params_.time("restart_time").seconds() + restore_s_;
  a_.scan.reset();
  const bool finite = std::isfinite(a_.job_mttf_s);
  if (finite && a_.checkpoint_s > 0) {
    // Young's and Daly's delta is what a checkpoint costs training: the
    // stall. Persistence after it (an asynchronous scheme) adds to the work a
    // failure loses, which only the campaign accounts for.
    a_.young_s = young_interval(a_.checkpoint_s, a_.job_mttf_s);
    a_.daly_s = daly_interval(a_.checkpoint_s, a_.job_mttf_s);
    a_.exact_s = optimal_interval_exact(a_.checkpoint_s, a_.job_mttf_s);
    a_.expected_goodput_at_daly =
        expected_goodput(a_.daly_s, a_.checkpoint_s, a_.restart_s, a_.job_mttf_s);
  }
  CampaignSpec& c = a_.campaign;
  c.duration_s = params_.time("campaign_duration").seconds();
  c.stall_s = a_.checkpoint_s;
  c.time_to_durable_s = a_.durable_s;
  c.restart_s = a_.restart_s;
  c.mttf_s = finite ? a_.job_mttf_s : std::numeric_limits<double>::infinity();
  c.gpus = a_.gpus;
  c.replicates = static_cast<int>(params_.integer("replicates"));
  c.seed = engine_.seed();
  const double centre = a_.daly_s > 0 ? a_.daly_s : 3600;  // no failures or free checkpoints
  std::vector<double> points = scan_points(centre, a_.daly_scanned, a_.daly_index);
  a_.daly_scanned = a_.daly_scanned && a_.daly_s > 0;
  if (params_.boolean("campaign")) {
    c.interval_s = points.front();
    a_.scan = scan_intervals(c, std::move(points));
  }
  analysed_ = true;
  return a_;
}

nlohmann::json FailureAnalysis::metrics(sim::Time /*end*/) const {
  if (!analysed_)
    return {{"analysed", false}};
  nlohmann::json m = {
      {"failure_rate",
       {{"per_node_per_hour", a_.rate.per_node_per_hour},
        {"per_node_per_day", a_.rate.per_node_per_day()},
        {"source", a_.rate_source}}},
      {"gpus", a_.gpus},
      {"nodes", a_.nodes},
      {"job_mttf_s", a_.job_mttf_s},
      {"job_mttf_h", hours(a_.job_mttf_s)},
      {"checkpoint_s", a_.checkpoint_s},
      {"time_to_durable_s", a_.durable_s},
      {"restart_s", a_.restart_s},
      {"young_interval_s", a_.young_s},
      {"daly_interval_s", a_.daly_s},
      {"exact_optimal_interval_s", a_.exact_s},
      {"expected_goodput_at_daly", a_.expected_goodput_at_daly},
  };
  nlohmann::json proj = nlohmann::json::array();
  for (const Projection& p : a_.projections)
    proj.push_back({{"gpus", p.gpus}, {"nodes", p.nodes}, {"job_mttf_h", p.job_mttf_h}});
  m["projections"] = proj;
  if (a_.scan) {
    const IntervalScan& s = *a_.scan;
    nlohmann::json points = nlohmann::json::array();
    for (std::size_t i = 0; i < s.results.size(); ++i) {
      nlohmann::json p = result_json(s.results[i]);
      p["gap_to_best"] = s.gap_to_best[i];
      p["gap_ci95"] = s.gap_ci95[i];
      points.push_back(std::move(p));
    }
    nlohmann::json camp = {{"duration_s", a_.campaign.duration_s},
                           {"replicates", a_.campaign.replicates},
                           {"seed", a_.campaign.seed},
                           {"best_interval_s", s.best_interval_s},
                           {"fitted_best_interval_s", s.fitted_best_interval_s},
                           {"tied_interval_s", {s.tied_low_s, s.tied_high_s}},
                           {"best_ci_halfwidth_s", s.best_ci_halfwidth_s},
                           {"best", result_json(s.results[s.best_index])},
                           {"points", points}};
    // For models/cost: GPU-hours a year lost to failures (lost work and
    // restarts) at the best interval.
    const CampaignResult& best = s.results[s.best_index];
    if (a_.campaign.duration_s > 0)
      camp["gpu_hours_lost_per_year"] = (best.gpu_hours_lost_work + best.gpu_hours_restart) *
                                        (365.0 * 86400.0 / a_.campaign.duration_s);
    if (a_.daly_scanned) {
      camp["at_daly"] = result_json(s.results[a_.daly_index]);
      camp["at_daly"]["gap_to_best"] = s.gap_to_best[a_.daly_index];
      camp["at_daly"]["gap_ci95"] = s.gap_ci95[a_.daly_index];
    }
    m["campaign"] = camp;
  }
  return m;
}

std::vector<std::string> FailureAnalysis::summary(sim::Time /*end*/) const {
  std::vector<std::string> lines;
  if (!analysed_)
    return lines;
  const auto t = [](double s) { return sim::units::format(s, sim::units::Dimension::kTime); };
  lines.push_back(
      fmt::format("{} GPUs on {} nodes: {:.3g} failures per 1,000 node-days, job MTTF {}", a_.gpus,
                  a_.nodes, a_.rate.per_node_per_day() * 1000, t(a_.job_mttf_s)));
  for (const Projection& p : a_.projections) {
    lines.push_back(
        fmt::format("  at {} GPUs ({} nodes): job MTTF {:.3g} h", p.gpus, p.nodes, p.job_mttf_h));
  }
  if (a_.daly_s > 0) {
    lines.push_back(fmt::format("checkpoint {} every: Young {}, Daly {} (expected goodput {:.4f})",
                                t(a_.checkpoint_s), t(a_.young_s), t(a_.daly_s),
                                a_.expected_goodput_at_daly));
  }
  if (a_.scan) {
    const IntervalScan& s = *a_.scan;
    const CampaignResult& b = s.results[s.best_index];
    lines.push_back(fmt::format(
        "campaign of {} x {} replicates: best interval {} (tied {} to {}), goodput {:.4f} "
        "[{:.4f}, {:.4f}], {:.1f} failures",
        t(a_.campaign.duration_s), a_.campaign.replicates, t(s.best_interval_s), t(s.tied_low_s),
        t(s.tied_high_s), b.goodput, b.goodput_ci95_low, b.goodput_ci95_high, b.failures_mean));
    lines.push_back(fmt::format(
        "  GPU-hours per campaign: useful {:.4g}, stall {:.4g}, lost work "
        "{:.4g}, restart {:.4g}",
        b.gpu_hours_useful, b.gpu_hours_stall, b.gpu_hours_lost_work, b.gpu_hours_restart));
  }
  return lines;
}

}  // namespace stormsim::models::failures

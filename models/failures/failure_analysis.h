// failure_analysis: a job's failure rate, its optimal checkpoint interval
// (Young, Daly) and a simulated training campaign's goodput, as a scenario
// component. The numbers come from failure_model.h and campaign.h; this
// component reads the parameters, runs them once at time zero and reports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/component.h"
#include "models/failures/campaign.h"
#include "models/failures/failure_model.h"

namespace stormsim::models::failures {

class FailureAnalysis : public Component {
 public:
  static sim::config::ModelSpec spec();
  explicit FailureAnalysis(const ComponentContext& ctx);

  void start() override;

  // Checkpoint times measured by a workload of the same scenario, replacing
  // checkpoint_time, time_to_durable and restore_time. Call before the
  // analysis runs (from connect(), or from the workload before start()).
  void use_checkpoint_times(double stall_s, double durable_s, double restore_s);

  struct Projection {
    std::int64_t gpus = 0, nodes = 0;
    double job_mttf_h = 0;
  };
  struct Analysis {
    FailureRate rate;
    std::string rate_source;  // which parameter gave the rate
    std::int64_t gpus = 0, nodes = 0;
    double job_mttf_s = 0;
    double checkpoint_s = 0, durable_s = 0, restart_s = 0;
    double young_s = 0, daly_s = 0, exact_s = 0;
    double expected_goodput_at_daly = 0;
    std::vector<Projection> projections;
    std::optional<IntervalScan> scan;
    std::size_t daly_index = 0;  // Daly's interval in the scan, when auto
    bool daly_scanned = false;
    CampaignSpec campaign;
  };
  // Runs the analysis now (idempotent); start() calls it at time zero.
  const Analysis& analyse();
  bool analysed() const { return analysed_; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  sim::Task<void> run();
  FailureRate read_rate(std::string& source) const;
  std::vector<double> scan_points(double daly_s, bool& daly_scanned, std::size_t& daly_index) const;

  sim::config::Params params_;
  sim::Engine& engine_;
  double checkpoint_s_, durable_s_, restore_s_;
  bool analysed_ = false;
  Analysis a_;
};

}  // namespace stormsim::models::failures

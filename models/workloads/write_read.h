// write_read: every client rank writes a file to a storage service, makes it
// durable, then (after all ranks have written) reads it back. The smallest
// workload that exercises a service's whole client path; the shipped
// experiments/storage/*.yaml run it on every service.
#pragma once

#include <memory>
#include <vector>

#include "models/component.h"
#include "models/storage/service.h"
#include "sim/stats/exact_histogram.h"
#include "sim/sync.h"

namespace stormsim::models {

class WriteRead : public Component {
 public:
  static sim::config::ModelSpec spec();
  explicit WriteRead(const ComponentContext& ctx);
  ~WriteRead() override;

  void connect(Simulation& sim) override;
  void start() override;

  struct Phase {
    sim::Time first_start = sim::Time::max();
    sim::Time last_end{};
    std::vector<double> rank_seconds;
    double bytes = 0;
    std::size_t done = 0;
    sim::Time duration() const { return last_end - first_start; }
  };
  const Phase& writes() const { return write_; }
  const Phase& reads() const { return read_; }
  std::size_t ranks() const { return clients_.size(); }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  sim::Task<void> rank(std::size_t r);

  sim::config::Params params_;
  sim::Engine& engine_;
  storage::StorageService* storage_ = nullptr;
  std::vector<storage::Client> clients_;
  sim::Bytes file_size_;
  sim::Time start_;
  bool read_back_;
  std::string prefix_;
  std::unique_ptr<sim::Event> all_written_;
  Phase write_, read_;
  std::size_t failed_ = 0;
  std::string first_error_;
};

}  // namespace stormsim::models

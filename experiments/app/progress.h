// Progress on stderr for long runs, as an engine observer.
#pragma once

#include <chrono>
#include <cstdio>

#include "sim/observer.h"
#include "sim/time.h"

namespace stormsim::app {

// Prints simulated time reached, the fraction of the run done and events per
// second on one self-overwriting line, at most a few times a second. Only for
// terminals: it stays silent when stderr is a file or a pipe, so logs and CI
// output hold only results. Wall-clock time never reaches the result file.
class ProgressObserver : public sim::Observer {
 public:
  ProgressObserver(std::FILE* stream, sim::Time until);
  // True when `stream` is a terminal (and so worth reporting to).
  static bool wanted(std::FILE* stream);

  void on_progress(const sim::Engine& engine) override;
  void on_run_end(const sim::Engine& engine) override;

 private:
  using Clock = std::chrono::steady_clock;
  std::FILE* stream_;
  sim::Time until_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_print_ = started_;
  bool printed_ = false;
};

}  // namespace stormsim::app

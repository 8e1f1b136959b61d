#include "experiments/app/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include "sim/engine.h"

namespace stormsim::app {

ProgressObserver::ProgressObserver(std::FILE* stream, sim::Time until)
    : stream_(stream), until_(until) {}

bool ProgressObserver::wanted(std::FILE* stream) {
  return ::isatty(::fileno(stream)) == 1;
}

void ProgressObserver::on_progress(const sim::Engine& engine) {
  const auto now = Clock::now();
  if (now - last_print_ < std::chrono::milliseconds(250))
    return;
  last_print_ = now;
  const double wall = std::chrono::duration<double>(now - started_).count();
  const double done = until_ > sim::Time::zero() ? engine.now() / until_ : 0.0;
  fmt::print(stream_, "\r  simulated {} of {} ({:.0f}%), {:.2f} M events/s   ", engine.now(),
             until_, 100.0 * done, static_cast<double>(engine.events_processed()) / wall * 1e-6);
  std::fflush(stream_);
  printed_ = true;
}

void ProgressObserver::on_run_end(const sim::Engine& /*engine*/) {
  // Clear the progress line so the summary starts on a clean one.
  if (printed_)
    fmt::print(stream_, "\r{:80}\r", "");
  printed_ = false;
}

}  // namespace stormsim::app

// NvmeQueue: the request-level discrete-event model of one drive.
#pragma once

#include <cstdint>
#include <string>

#include "models/devices/profile.h"
#include "sim/engine.h"
#include "sim/random.h"
#include "sim/task.h"

namespace stormsim::models::devices {

// One drive as NvmeProfile's closed network: a delay (the request's own
// latency) and a FIFO rate server (the drive's capacity), the request
// completing when both are done.
//
// A request submitted at t costs the host submit_overhead, so the device
// has it at t + o. Its own path completes at t + o + a + s / B. The rate
// server takes requests in submission order and spends 1 / X_max(s) on
// each (a virtual clock: busy_until = max(busy_until, t) + 1 / X_max), so
// completions never come faster than X_max. The request completes at the
// later of the two. With probability tail_fraction its completion latency
// (from t + o) is stretched by (1 + tail_scale): a scale-free tail, as the
// probe's mean-to-median ratio is alike at queue depth 1 and 32.
//
// q closed-loop requests thus complete at min(q / (o + L1(s)), X_max(s)),
// as NvmeProfile::iops says. The server paces from submission, not from
// the end of the request's own latency, because a drive overlaps requests:
// a lone 1 MiB read on the development VM completes in 106 us (151 us with
// its submission) while its sustained rate is one per 140 us. A lone
// request thus completes after max(o + a + s / B, 1 / X_max(s)). After `cache` bytes have been
// written, a write cliff scales write bandwidth by after / before.
class NvmeQueue {
 public:
  // `name` names the random stream of the latency tail ("nvme/<name>").
  NvmeQueue(sim::Engine& engine, const NvmeProfile& profile, const std::string& name = "nvme");
  NvmeQueue(const NvmeQueue&) = delete;
  NvmeQueue& operator=(const NvmeQueue&) = delete;

  // Completes when the drive has served the request (submission included).
  // Its completion latency, as fio's clat, is from now() + submit_overhead.
  sim::Task<void> submit(IoOp op, sim::Bytes request);

  // How long the request occupies the rate server now (past the cliff,
  // writes take longer).
  sim::Time service_time(IoOp op, sim::Bytes request) const;
  const NvmeProfile& profile() const { return profile_; }
  sim::Bytes written() const { return sim::Bytes(written_); }
  bool past_cliff() const;
  std::uint64_t completed() const { return completed_; }
  // When the rate server has served every request submitted so far.
  sim::Time busy_until() const { return busy_until_; }

 private:
  sim::Engine& engine_;
  NvmeProfile profile_;
  sim::Rng& rng_;
  sim::Time busy_until_;
  double written_ = 0;
  std::uint64_t completed_ = 0;
};

}  // namespace stormsim::models::devices

// NvmeQueue against NvmeProfile's closed forms.
#include <catch2/catch.hpp>
#include <vector>

#include "models/devices/nvme_queue.h"
#include "sim/engine.h"
#include "sim/stats/hdr_histogram.h"

using namespace stormsim;
using namespace stormsim::models::devices;
using sim::Bytes;
using sim::Time;

namespace {

NvmeProfile drive() {
  NvmeProfile p;
  p.submit_overhead = Time::from_ns(5000);
  for (IoCurve& c : p.curves) {
    c.base_latency = Time::from_ns(80000);
    c.transfer_rate = sim::BytesPerSec(3e9);
    c.max_iops = 500e3;
    c.max_bandwidth = sim::BytesPerSec(4e9);
    c.knee = 2;
  }
  return p;
}

struct Loop {
  sim::stats::HdrHistogram clat;
  std::uint64_t completed = 0;
  Time start;
  Time end;
};

sim::Task<void> closed_loop(sim::Engine& e, NvmeQueue& q, IoOp op, Bytes size, Loop& loop) {
  while (e.now() < loop.end) {
    const Time issued = e.now() + q.profile().submit_overhead;
    co_await q.submit(op, size);
    if (e.now() >= loop.start && e.now() <= loop.end) {
      loop.clat.record(e.now() - issued);
      ++loop.completed;
    }
  }
}

// Counts completions in [start, end]; the ramp before start is several
// cycles even at 128 x 1 MiB (33 ms), so the loop is in steady state.
Loop run(const NvmeProfile& p, IoOp op, Bytes size, int depth, Time end = Time::from_ns(600000000),
         Time start = Time::from_ns(200000000)) {
  sim::Engine e(1);
  NvmeQueue q(e, p);
  Loop loop;
  loop.start = start;
  loop.end = end;
  for (int i = 0; i < depth; ++i)
    e.spawn(closed_loop(e, q, op, size, loop));
  e.run_until(end);
  e.shutdown();
  return loop;
}

}  // namespace

TEST_CASE("NvmeQueue: q closed-loop clients get min(q / (o + L1), X_max)") {
  const NvmeProfile p = drive();
  for (double size : {4096.0, 65536.0, 1048576.0}) {
    for (int depth : {1, 2, 8, 32, 128}) {
      CAPTURE(size, depth);
      const Loop loop = run(p, IoOp::kRead, Bytes(size), depth);
      const double iops = static_cast<double>(loop.completed) / (loop.end - loop.start).seconds();
      CHECK(iops == Approx(p.iops(IoOp::kRead, Bytes(size), depth)).epsilon(0.01));
      CHECK(loop.clat.mean() * 1e-9 ==
            Approx(p.latency(IoOp::kRead, Bytes(size), depth).seconds()).epsilon(0.01));
    }
  }
}

TEST_CASE("NvmeQueue: a lone request takes its own latency, not the rate server's time") {
  NvmeProfile p = drive();
  // 1 MiB: 80 us + 349.5 us of transfer after 50 us of submission, while
  // the sustained rate is one per 450 us: the server, pacing from
  // submission, is done before the request's own path.
  p.submit_overhead = Time::from_ns(50000);
  p.curve(IoOp::kRead).max_bandwidth = sim::BytesPerSec(1048576 / 450e-6);
  REQUIRE(Time::from_ns(400000) < p.curve(IoOp::kRead).body_latency(Bytes(1048576)));
  const Loop loop = run(p, IoOp::kRead, Bytes(1048576), 1, Time::from_ns(1000000), Time::zero());
  REQUIRE(loop.completed >= 1);
  CHECK(loop.clat.min() == Approx(80000 + 1048576 / 3.0).epsilon(0.001));
  // Slower still, the server's time is what the request sees.
  p.curve(IoOp::kRead).max_bandwidth = sim::BytesPerSec(0.4e9);
  const Loop slow = run(p, IoOp::kRead, Bytes(1048576), 1, Time::from_ns(10000000), Time::zero());
  REQUIRE(slow.completed >= 1);
  CHECK(slow.clat.min() == Approx(1048576 / 0.4 - 50000).epsilon(0.001));
}

TEST_CASE("NvmeQueue: the tail moves the mean, not the median") {
  NvmeProfile p = drive();
  IoCurve& c = p.curve(IoOp::kRandRead);
  c.tail_fraction = 0.1;
  c.tail_scale = 4;
  const Loop loop =
      run(p, IoOp::kRandRead, Bytes(4096), 1, Time::from_ns(2000000000), Time::zero());
  const double body = c.body_latency(Bytes(4096)).ns();
  CHECK(loop.clat.percentile(50) == Approx(body).epsilon(0.001));
  CHECK(loop.clat.mean() == Approx(body * 1.4).epsilon(0.03));
  CHECK(loop.clat.max() == Approx(body * 5).epsilon(0.001));
}

TEST_CASE("NvmeQueue: after the write cache fills, writes run at the cliff's rate") {
  NvmeProfile p = drive();
  for (IoCurve& c : p.curves)
    c.knee = IoCurve::kHardKnee;
  p.cliff = WriteCliff{Bytes(1e9), sim::BytesPerSec(4e9), sim::BytesPerSec(1e9)};
  sim::Engine e(1);
  NvmeQueue q(e, p);
  Loop loop;
  loop.end = Time::from_ns(1000000000);  // 1 s: 1 GB at 4 GB/s, then 1 GB/s
  for (int i = 0; i < 64; ++i)
    e.spawn(closed_loop(e, q, IoOp::kWrite, Bytes(1048576), loop));
  // Bytes count when submitted: up to 64 MiB are in flight ahead of the clock.
  const double in_flight = 64 * 1048576.0;
  e.run_until(Time::from_ns(250000000));
  const double at_quarter = q.written().value();
  CHECK(at_quarter == Approx(1e9 + in_flight / 2).margin(in_flight));
  CHECK(q.past_cliff());
  e.run_until(loop.end);
  CHECK(q.written().value() - at_quarter == Approx(0.75e9).margin(in_flight));
  // Reads are not affected by the cliff.
  CHECK(q.service_time(IoOp::kRead, Bytes(1048576)) == Time::from_seconds(1048576 / 4e9));
  e.shutdown();
}

// Synthetic probe measurements generated from known device parameters, for
// the fitter's and the validator's tests.
#pragma once

#include <cmath>
#include <vector>

#include "calibration/fit/measurements.h"
#include "models/devices/profile.h"
#include "sim/random.h"

namespace stormsim::calibration::testing {

using models::devices::IoCurve;
using models::devices::IoOp;
using models::devices::NvmeProfile;

// A drive like a datacenter NVMe SSD, different per operation.
inline NvmeProfile known_profile(double knee = 2.0) {
  NvmeProfile p;
  p.submit_overhead = sim::Time::from_ns(4000);
  const double base[] = {80e-6, 20e-6, 90e-6, 25e-6};
  const double rate[] = {3.0e9, 2.5e9, 2.8e9, 2.0e9};
  const double iops[] = {800e3, 300e3, 700e3, 200e3};
  const double bw[] = {6.5e9, 4.0e9, 6.0e9, 3.5e9};
  for (int i = 0; i < 4; ++i) {
    IoCurve& c = p.curves[static_cast<std::size_t>(i)];
    c.base_latency = sim::Time::from_seconds(base[i]);
    c.transfer_rate = sim::BytesPerSec(rate[i]);
    c.max_iops = iops[i];
    c.max_bandwidth = sim::BytesPerSec(bw[i]);
    c.knee = knee;
    c.tail_fraction = 0.02 + 0.01 * i;
    c.tail_scale = 3.0 + i;
  }
  return p;
}

// The probe's full matrix (4 KiB..1 MiB x queue depth 1..256, powers of
// two), each point exactly as the profile says, with multiplicative
// Gaussian noise of relative standard deviation `noise` (seeded) on each
// measured latency and throughput.
inline std::vector<StoragePoint> synthetic_points(const NvmeProfile& p, double noise = 0,
                                                  std::uint64_t seed = 1) {
  sim::Rng rng(seed);
  auto noisy = [&](double v) { return noise > 0 ? v * (1 + rng.normal(0, noise)) : v; };
  std::vector<StoragePoint> out;
  for (IoOp op : models::devices::kAllIoOps) {
    const IoCurve& c = p.curve(op);
    for (double bytes = 4096; bytes <= 1048576; bytes *= 2) {
      for (int depth = 1; depth <= 256; depth *= 2) {
        StoragePoint s;
        s.jobname = std::string(name(op)) + "-" + std::to_string(static_cast<int>(bytes)) + "-qd" +
                    std::to_string(depth);
        s.op = op;
        s.bytes = bytes;
        s.iodepth = depth;
        const double body = c.body_latency(sim::Bytes(bytes)).seconds();
        const double iops = p.iops(op, sim::Bytes(bytes), depth);
        // A scale-free tail: every latency of the point stretched alike.
        const double median = depth / iops - p.submit_overhead.seconds();
        const double typical = depth == 1 ? body : median / (1 + c.tail_fraction * c.tail_scale);
        s.iops = noisy(iops);
        s.bw = s.iops * bytes;
        s.clat_p50 = noisy(typical);
        s.clat_mean = s.clat_p50 * (1 + c.tail_fraction * c.tail_scale);
        s.clat_p99 = s.clat_p50 * (1 + c.tail_scale);
        s.lat_mean = s.clat_mean + p.submit_overhead.seconds();
        s.runtime = 1;
        out.push_back(s);
      }
    }
  }
  return out;
}

inline double rel(double a, double b) {
  return std::fabs(a / b - 1);
}

}  // namespace stormsim::calibration::testing

// Device profiles: the fitted service curves of a drive, a network path and
// host memory, as the calibration fitter writes them (profile.yaml) and the
// device models load them.
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/quantity.h"
#include "sim/time.h"

namespace stormsim::models::devices {

// The four operations of the probe's (and fio's) storage matrix.
enum class IoOp { kRead, kWrite, kRandRead, kRandWrite };
inline constexpr std::size_t kIoOps = 4;
inline constexpr std::array<IoOp, kIoOps> kAllIoOps = {IoOp::kRead, IoOp::kWrite, IoOp::kRandRead,
                                                       IoOp::kRandWrite};

// "read", "write", "randread", "randwrite" (fio's `rw` names).
std::string_view name(IoOp op);
std::optional<IoOp> parse_io_op(std::string_view s);
bool is_write(IoOp op);

// One operation's service curve: a drive seen as a closed queueing network
// of one delay (the unloaded latency) and one rate server (the saturated
// throughput).
//
//   unloaded latency     L1(s) = a + s / B                  (queue depth 1)
//   saturated rate       X_max(s) = ((1 / max_iops)^k + (s / max_bandwidth)^k)^(-1/k)
//   throughput at q      X(s, q) = min(q / L1(s), X_max(s))
//   mean latency at q    L(s, q) = q / X(s, q) = max(L1(s), q / X_max(s))   (Little's law)
//
// (NvmeProfile adds the host's submission cost to the cycle.)
//
// Why: a + s / B is a fixed command cost plus a transfer, the form every
// NVMe datasheet's latency follows; min(q / L1, X_max) are the asymptotic
// bounds of a closed network (Reiser and Lavenberg's mean value analysis
// with a delay station and one queue), exact for deterministic service,
// which is what a closed-loop probe at fixed queue depth measures.
// X_max's knee between the IOPS limit and the bandwidth limit is a k-norm:
// k -> infinity is the hard min(max_iops, max_bandwidth / s) of the
// roofline, k = 1 adds a per-command and a per-byte time (one server doing
// both). Real devices sit in between (a virtio disk's 64 KiB writes reach
// neither bound), so k is fitted, once per device, not per operation.
struct IoCurve {
  sim::Time base_latency;          // a
  sim::BytesPerSec transfer_rate;  // B
  double max_iops = 0;             // operations/s
  sim::BytesPerSec max_bandwidth;
  double knee = kHardKnee;  // k; kHardKnee means min(max_iops, max_bandwidth / s)
  // The latency distribution's tail (host interrupts, a hypervisor's
  // scheduling, the device's own hiccups): with probability tail_fraction a
  // request's completion latency is (1 + tail_scale) times what it would
  // otherwise be: the body a + s / B when unloaded, its queueing included
  // under load. Mean latency and throughput include it; the median does not
  // while tail_fraction < 0.5. Scale-free because the probe's mean-to-median
  // ratio is alike at queue depth 1 and 32 and across sizes. Zero for a
  // device without a tail.
  double tail_fraction = 0;
  double tail_scale = 0;

  static constexpr double kHardKnee = 0;  // stands for k = infinity

  // a + s / B: the median unloaded completion latency.
  sim::Time body_latency(sim::Bytes request) const;
  // The mean unloaded completion latency, tail included.
  sim::Time unloaded_latency(sim::Bytes request) const;
  // X_max(s) in operations/s.
  double saturated_iops(sim::Bytes request) const;
};

// A drive whose write bandwidth falls once its write cache (SLC, DRAM) is
// full: `before` until `cache` bytes have been written, `after` from then on.
struct WriteCliff {
  sim::Bytes cache;
  sim::BytesPerSec before;
  sim::BytesPerSec after;
};

// One drive: a curve per operation, an optional write cliff.
//
// Latencies are completion latencies as fio's clat: from the return of the
// submitting call to the completion. The submission itself costs the host
// submit_overhead per request (an io_uring_enter that, on a virtio disk,
// does the doorbell write synchronously); a closed-loop client at queue
// depth q cycles through both, so
//   iops(q) = min(q / (submit_overhead + L1(s)), X_max(s)),
//   latency(q) = q / iops(q) - submit_overhead.
struct NvmeProfile {
  std::array<IoCurve, kIoOps> curves;  // indexed by IoOp
  std::optional<WriteCliff> cliff;
  sim::Bytes capacity{0};  // 0: unknown
  sim::Time submit_overhead;

  const IoCurve& curve(IoOp op) const { return curves[static_cast<std::size_t>(op)]; }
  IoCurve& curve(IoOp op) { return curves[static_cast<std::size_t>(op)]; }
  // Mean completion latency in steady state, before any write cliff.
  sim::Time latency(IoOp op, sim::Bytes request, double queue_depth) const;
  // Completions per second of `queue_depth` closed-loop requests.
  double iops(IoOp op, sim::Bytes request, double queue_depth) const;
  sim::BytesPerSec bandwidth(IoOp op, sim::Bytes request, double queue_depth) const;
};

// A straight line t(m) = latency + m / bandwidth over message sizes
// [min_message, max_message]; several of them make a piecewise curve.
struct TransferSegment {
  sim::Bytes min_message{0};
  sim::Bytes max_message{0};  // 0: no upper end
  sim::Time latency;
  sim::BytesPerSec bandwidth;
};

// One transport's fitted costs.
struct TransportProfile {
  sim::Time round_trip;                   // small-message round trip
  sim::BytesPerSec stream_bandwidth;      // one stream
  sim::BytesPerSec aggregate_bandwidth;   // all streams of the probe together
  int streams = 1;                        // how many streams gave aggregate_bandwidth
  std::vector<TransferSegment> segments;  // empty: latency = round_trip / 2, one stream's rate
};

// A network path between two hosts (or loopback): TCP, and RDMA when the
// probe measured it.
struct NetworkProfile {
  TransportProfile tcp;
  std::optional<TransportProfile> rdma;

  // One message over the fastest measured transport: its piecewise line, or
  // half a round trip plus the message at one stream's rate.
  sim::Time transfer_time(sim::Bytes message) const;
  // TCP with `streams` parallel streams: linear from one stream's rate to
  // the measured aggregate, flat beyond it.
  sim::BytesPerSec bandwidth(int streams) const;
  sim::Time round_trip() const;
  // The transport that transfer_time uses.
  const TransportProfile& fastest() const;
};

// Host memory: memcpy bandwidth with one thread and with all threads.
struct MemoryProfile {
  sim::BytesPerSec copy_bandwidth_one_thread;
  sim::BytesPerSec copy_bandwidth_all;
  int threads = 1;
};

// Everything the fitter got from one probe run.
struct DeviceProfile {
  std::optional<NvmeProfile> nvme;
  std::optional<NetworkProfile> network;
  std::optional<MemoryProfile> memory;
  nlohmann::json source;     // the probe run: host facts, probe version, started, command line
  nlohmann::json residuals;  // the fit's residuals and standard errors per curve
};

// Reads a profile YAML. Bad input is a sim::config::ConfigError naming
// file:line:column and the key (units as everywhere: 4KiB, 1.2us, 2GB/s).
DeviceProfile load_device_profile(const std::string& path);
// As load_device_profile, for text in memory; `name` stands for the file.
DeviceProfile parse_device_profile(std::string_view text, const std::string& name);
// The YAML text of a profile, quantities with units, source and residuals
// as keys the loader accepts (and skips).
std::string device_profile_yaml(const DeviceProfile& profile);
// Writes device_profile_yaml atomically (sim::write_file_atomically).
void write_device_profile(const DeviceProfile& profile, const std::string& path);

}  // namespace stormsim::models::devices

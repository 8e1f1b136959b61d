#include "models/devices/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "models/devices/profile_yaml.h"
#include "sim/atomic_file.h"

namespace stormsim::models::devices {

namespace {

constexpr std::array<std::string_view, kIoOps> kOpNames = {"read", "write", "randread",
                                                           "randwrite"};

}  // namespace

std::string_view name(IoOp op) {
  return kOpNames[static_cast<std::size_t>(op)];
}

std::optional<IoOp> parse_io_op(std::string_view s) {
  for (IoOp op : kAllIoOps) {
    if (name(op) == s)
      return op;
  }
  return std::nullopt;
}

bool is_write(IoOp op) {
  return op == IoOp::kWrite || op == IoOp::kRandWrite;
}

sim::Time IoCurve::body_latency(sim::Bytes request) const {
  return base_latency + sim::Time::from_seconds(request.value() / transfer_rate.value());
}

sim::Time IoCurve::unloaded_latency(sim::Bytes request) const {
  return body_latency(request) * (1.0 + tail_fraction * tail_scale);
}

double IoCurve::saturated_iops(sim::Bytes request) const {
  const double per_op = 1.0 / max_iops;
  const double per_byte = request.value() / max_bandwidth.value();
  if (knee == kHardKnee)
    return 1.0 / std::max(per_op, per_byte);
  // The k-norm of the two service times, computed relative to the larger
  // one so that large k does not overflow.
  const double big = std::max(per_op, per_byte);
  const double small = std::min(per_op, per_byte);
  return 1.0 / (big * std::pow(1.0 + std::pow(small / big, knee), 1.0 / knee));
}

sim::Time NvmeProfile::latency(IoOp op, sim::Bytes request, double queue_depth) const {
  const double x = iops(op, request, queue_depth);
  return sim::Time::from_seconds(queue_depth / x) - submit_overhead;
}

double NvmeProfile::iops(IoOp op, sim::Bytes request, double queue_depth) const {
  const IoCurve& c = curve(op);
  const double cycle = (submit_overhead + c.unloaded_latency(request)).seconds();
  const double by_latency = queue_depth / cycle;
  return std::min(by_latency, c.saturated_iops(request));
}

sim::BytesPerSec NvmeProfile::bandwidth(IoOp op, sim::Bytes request, double queue_depth) const {
  return sim::BytesPerSec(iops(op, request, queue_depth) * request.value());
}

const TransportProfile& NetworkProfile::fastest() const {
  return rdma ? *rdma : tcp;
}

sim::Time NetworkProfile::transfer_time(sim::Bytes message) const {
  const TransportProfile& t = fastest();
  for (const TransferSegment& s : t.segments) {
    const bool below_end = s.max_message.value() == 0 || message < s.max_message;
    if (message >= s.min_message && below_end)
      return s.latency + sim::transfer_time(message, s.bandwidth);
  }
  if (!t.segments.empty()) {
    // Beyond the measured range: the nearest segment's line.
    const TransferSegment& s =
        message < t.segments.front().min_message ? t.segments.front() : t.segments.back();
    return s.latency + sim::transfer_time(message, s.bandwidth);
  }
  return t.round_trip / 2 + sim::transfer_time(message, t.stream_bandwidth);
}

sim::BytesPerSec NetworkProfile::bandwidth(int streams) const {
  if (streams <= 1 || tcp.streams <= 1)
    return tcp.stream_bandwidth;
  if (streams >= tcp.streams)
    return tcp.aggregate_bandwidth;
  const double f = static_cast<double>(streams - 1) / static_cast<double>(tcp.streams - 1);
  return tcp.stream_bandwidth + (tcp.aggregate_bandwidth - tcp.stream_bandwidth) * f;
}

sim::Time NetworkProfile::round_trip() const {
  return fastest().round_trip;
}

DeviceProfile load_device_profile(const std::string& path) {
  return profile_from_node(sim::config::load_file(path));
}

DeviceProfile parse_device_profile(std::string_view text, const std::string& name) {
  return profile_from_node(sim::config::load_string(text, name));
}

void write_device_profile(const DeviceProfile& profile, const std::string& path) {
  sim::write_file_atomically(path, device_profile_yaml(profile));
}

}  // namespace stormsim::models::devices

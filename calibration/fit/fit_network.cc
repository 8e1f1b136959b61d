#include "calibration/fit/fit_network.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "calibration/fit/least_squares.h"

namespace stormsim::calibration {

using models::devices::MemoryProfile;
using models::devices::NetworkProfile;
using models::devices::TransferSegment;
using models::devices::TransportProfile;

namespace {

struct Line {
  double latency = 0;   // s
  double per_byte = 0;  // s/byte
  double worst = 0;     // worst relative residual
  double sse = 0;       // relative
};

Line line_through(const std::vector<double>& x, const std::vector<double>& y, std::size_t lo,
                  std::size_t hi) {
  const std::vector<double> xs(x.begin() + static_cast<long>(lo),
                               x.begin() + static_cast<long>(hi));
  const std::vector<double> ys(y.begin() + static_cast<long>(lo),
                               y.begin() + static_cast<long>(hi));
  Line l;
  if (xs.size() == 1 || xs.front() == xs.back()) {
    l.latency = std::accumulate(ys.begin(), ys.end(), 0.0) / static_cast<double>(ys.size());
  } else {
    const LinearFit f = fit_line_relative(xs, ys);
    l.latency = f.beta[0];
    l.per_byte = f.beta[1];
  }
  if (l.latency < 0 || l.per_byte < 0) {
    // Through the origin, or flat: whichever the data allow.
    double num = 0, den = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      num += xs[i] / ys[i];
      den += xs[i] * xs[i] / (ys[i] * ys[i]);
    }
    if (l.latency < 0 && den > 0) {
      l.latency = 0;
      l.per_byte = num / den;
    } else {
      l.latency = std::accumulate(ys.begin(), ys.end(), 0.0) / static_cast<double>(ys.size());
      l.per_byte = 0;
    }
  }
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double rel = (l.latency + l.per_byte * xs[i]) / ys[i] - 1;
    l.worst = std::max(l.worst, std::fabs(rel));
    l.sse += rel * rel;
  }
  return l;
}

void split(const std::vector<double>& x, const std::vector<double>& y, std::size_t lo,
           std::size_t hi, double tolerance, std::vector<std::pair<std::size_t, Line>>& out) {
  const Line whole = line_through(x, y, lo, hi);
  if (whole.worst <= tolerance || hi - lo < 4) {
    out.emplace_back(lo, whole);
    return;
  }
  std::size_t best = 0;
  double best_sse = whole.sse;
  for (std::size_t j = lo + 2; j + 2 <= hi; ++j) {
    const double sse = line_through(x, y, lo, j).sse + line_through(x, y, j, hi).sse;
    if (sse < best_sse) {
      best_sse = sse;
      best = j;
    }
  }
  if (best == 0) {
    out.emplace_back(lo, whole);
    return;
  }
  split(x, y, lo, best, tolerance, out);
  split(x, y, best, hi, tolerance, out);
}

TransportProfile tcp_profile(const TcpMeasurements& m, nlohmann::json& residuals) {
  TransportProfile t;
  auto one = std::find_if(m.streams.begin(), m.streams.end(),
                          [](const TcpStream& s) { return s.streams == 1; });
  auto most = std::max_element(
      m.streams.begin(), m.streams.end(),
      [](const TcpStream& a, const TcpStream& b) { return a.streams < b.streams; });
  const TcpStream& single = one != m.streams.end() ? *one : m.streams.front();
  t.stream_bandwidth = sim::BytesPerSec(single.bw / single.streams);
  t.aggregate_bandwidth = sim::BytesPerSec(most->bw);
  t.streams = most->streams;
  t.round_trip = sim::Time::from_seconds(m.rtt_p50);
  residuals["tcp"] = {{"round_trip_p50_s", m.rtt_p50},
                      {"round_trip_mean_s", m.rtt_mean},
                      {"note", "measured values taken as they are: no residuals"}};
  return t;
}

}  // namespace

std::vector<TransferSegment> fit_segments(const std::vector<double>& bytes,
                                          const std::vector<double>& seconds, double tolerance,
                                          nlohmann::json& residuals) {
  std::vector<std::size_t> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return bytes[a] < bytes[b]; });
  std::vector<double> x, y;
  for (std::size_t i : order) {
    x.push_back(bytes[i]);
    y.push_back(seconds[i]);
  }
  std::vector<std::pair<std::size_t, Line>> parts;
  if (!x.empty())
    split(x, y, 0, x.size(), tolerance, parts);
  std::vector<TransferSegment> out;
  residuals = nlohmann::json::array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [first, line] = parts[i];
    TransferSegment s;
    s.min_message = sim::Bytes(i == 0 ? 0.0 : x[first]);
    s.max_message = sim::Bytes(i + 1 < parts.size() ? x[parts[i + 1].first] : 0.0);
    s.latency = sim::Time::from_seconds(line.latency);
    s.bandwidth = sim::BytesPerSec(line.per_byte > 0 ? 1 / line.per_byte : 1e15);
    out.push_back(s);
    residuals.push_back({{"from_bytes", x[first]},
                         {"latency_s", line.latency},
                         {"bandwidth_bytes_per_s", s.bandwidth.value()},
                         {"worst_relative_residual", line.worst}});
  }
  return out;
}

std::optional<NetworkProfile> fit_network(const ProbeRun& run, nlohmann::json& residuals) {
  if (!run.tcp)
    return std::nullopt;
  NetworkProfile n;
  n.tcp = tcp_profile(*run.tcp, residuals);
  std::vector<double> bytes, one_way;
  double peak = 0;
  for (const RdmaPoint& p : run.rdma) {
    if (p.op != "write")
      continue;
    bytes.push_back(p.bytes);
    one_way.push_back(p.lat_p50);
    peak = std::max(peak, p.bw);
  }
  if (!bytes.empty()) {
    TransportProfile r;
    nlohmann::json seg_residuals;
    r.segments = fit_segments(bytes, one_way, 0.1, seg_residuals);
    r.round_trip = sim::Time::from_seconds(2 * *std::min_element(one_way.begin(), one_way.end()));
    r.stream_bandwidth = sim::BytesPerSec(peak);
    r.aggregate_bandwidth = sim::BytesPerSec(peak);
    r.streams = 1;
    residuals["rdma"] = {{"segments", seg_residuals}};
    n.rdma = r;
  }
  return n;
}

std::optional<MemoryProfile> fit_memory(const ProbeRun& run) {
  if (run.memory.empty())
    return std::nullopt;
  const auto one = std::min_element(
      run.memory.begin(), run.memory.end(),
      [](const MemoryCopy& a, const MemoryCopy& b) { return a.threads < b.threads; });
  const auto all = std::max_element(
      run.memory.begin(), run.memory.end(),
      [](const MemoryCopy& a, const MemoryCopy& b) { return a.threads < b.threads; });
  return MemoryProfile{sim::BytesPerSec(one->bw / one->threads), sim::BytesPerSec(all->bw),
                       all->threads};
}

}  // namespace stormsim::calibration

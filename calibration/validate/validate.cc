#include "calibration/validate/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/devices/nvme_queue.h"
#include "sim/engine.h"
#include "sim/stats/hdr_histogram.h"

namespace stormsim::calibration {

using models::devices::DeviceProfile;
using models::devices::IoOp;
using models::devices::NvmeProfile;
using models::devices::NvmeQueue;

namespace {

// What the probe measures of a point: completions inside the window.
struct Window {
  sim::Time start;
  sim::Time end;
  sim::stats::HdrHistogram clat;
  std::uint64_t completed = 0;
};

// One closed-loop client: submits, waits, submits again, as the probe's
// ring keeps each of its iodepth slots busy. Completion latency counts from
// the end of the submission, as fio's clat.
sim::Task<void> client(sim::Engine& engine, NvmeQueue& queue, IoOp op, sim::Bytes bytes,
                       Window& window) {
  const sim::Time submit = queue.profile().submit_overhead;
  while (engine.now() < window.end) {
    const sim::Time issued = engine.now() + submit;
    co_await queue.submit(op, bytes);
    const sim::Time done = engine.now();
    if (done >= window.start && done <= window.end) {
      window.clat.record(done - issued);
      ++window.completed;
    }
  }
}

StorageRow simulate_point(const StoragePoint& p, const NvmeProfile& nvme, const ValidateOptions& o,
                          std::uint64_t seed) {
  StorageRow row;
  row.jobname = p.jobname;
  row.op = p.op;
  row.bytes = p.bytes;
  row.iodepth = p.iodepth;
  row.measured_iops = p.iops;
  row.measured_bw = p.bw;
  row.measured_p50 = p.clat_p50;
  row.measured_mean = p.clat_mean;

  const sim::Bytes bytes(p.bytes);
  const double expected_iops = nvme.iops(p.op, bytes, p.iodepth);
  double runtime = p.runtime;
  const bool cliff = nvme.cliff && models::devices::is_write(p.op);
  if (!cliff)
    runtime = std::min(runtime, static_cast<double>(o.max_requests) / expected_iops);
  // A ramp of many cycles lets the closed loop settle, as the probe's ramp does.
  const double cycle = p.iodepth / expected_iops;
  const double ramp = cliff ? 0.0 : std::min(0.25, std::max(0.1 * runtime, 20 * cycle));

  sim::Engine engine(seed);
  NvmeQueue queue(engine, nvme);
  Window w;
  w.start = sim::Time::from_seconds(ramp);
  w.end = w.start + sim::Time::from_seconds(runtime);
  for (int i = 0; i < p.iodepth; ++i)
    engine.spawn(client(engine, queue, p.op, bytes, w), fmt::format("client{}", i));
  engine.run_until(w.end);
  engine.shutdown();

  const double span = (w.end - w.start).seconds();
  row.predicted_iops = static_cast<double>(w.completed) / span;
  row.predicted_bw = row.predicted_iops * p.bytes;
  if (w.completed > 0) {
    row.predicted_p50 = w.clat.percentile(50) * 1e-9;
    row.predicted_mean = w.clat.mean() * 1e-9;
  }
  row.simulated_requests = w.completed;
  return row;
}

void network_rows(const ProbeRun& run, const DeviceProfile& profile, Validation& v) {
  if (!profile.network || !run.tcp)
    return;
  const models::devices::NetworkProfile& n = *profile.network;
  for (const TcpStream& s : run.tcp->streams) {
    v.scalars.push_back(ScalarRow{
        "tcp", fmt::format("bandwidth, {} stream{}", s.streams, s.streams == 1 ? "" : "s"), "B/s",
        s.bw, n.bandwidth(s.streams).value()});
  }
  if (run.tcp->rtt_p50 > 0) {
    v.scalars.push_back(
        ScalarRow{"tcp", "round trip p50", "s", run.tcp->rtt_p50, n.tcp.round_trip.seconds()});
  }
  if (!n.rdma)
    return;
  for (const RdmaPoint& p : run.rdma) {
    if (p.op != "write")
      continue;
    v.scalars.push_back(ScalarRow{"rdma", fmt::format("write {} latency p50", sim::Bytes(p.bytes)),
                                  "s", p.lat_p50, n.transfer_time(sim::Bytes(p.bytes)).seconds()});
  }
}

void memory_rows(const ProbeRun& run, const DeviceProfile& profile, Validation& v) {
  if (!profile.memory)
    return;
  const models::devices::MemoryProfile& m = *profile.memory;
  for (const MemoryCopy& c : run.memory) {
    // Linear in threads up to the measured all-threads figure.
    const double predicted =
        std::min(m.copy_bandwidth_one_thread.value() * c.threads, m.copy_bandwidth_all.value());
    v.scalars.push_back(
        ScalarRow{"memory", fmt::format("copy, {} thread{}", c.threads, c.threads == 1 ? "" : "s"),
                  "B/s", c.bw, predicted});
  }
}

template <typename Row, typename Measured, typename Predicted>
ErrorSummary summarise(std::string metric, const std::vector<Row>& rows, Measured m, Predicted p,
                       std::string (*label)(const Row&)) {
  ErrorSummary s;
  s.metric = std::move(metric);
  std::vector<double> errors;
  for (const Row& r : rows) {
    if (m(r) <= 0)
      continue;
    const double e = std::fabs(relative_error(m(r), p(r)));
    errors.push_back(e);
    if (e >= s.worst_abs) {
      s.worst_abs = e;
      s.worst_point = label(r);
    }
  }
  s.points = errors.size();
  if (errors.empty())
    return s;
  std::sort(errors.begin(), errors.end());
  const std::size_t n = errors.size();
  s.median_abs = n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
  return s;
}

std::string storage_label(const StorageRow& r) {
  return r.jobname;
}
std::string scalar_label(const ScalarRow& r) {
  return r.section + " " + r.name;
}

std::string percent(double e) {
  return fmt::format("{:+.1f}%", 100 * e);
}

std::string latency_text(double s) {
  return fmt::format("{:.1f}", s * 1e6);
}

}  // namespace

double relative_error(double measured, double predicted) {
  return measured > 0 ? predicted / measured - 1 : 0.0;
}

Validation validate(const ProbeRun& run, const DeviceProfile& profile, const ValidateOptions& o) {
  Validation v;
  if (profile.nvme) {
    std::uint64_t index = 0;
    for (const StoragePoint& p : run.storage)
      v.storage.push_back(simulate_point(p, *profile.nvme, o, o.seed + index++));
  }
  network_rows(run, profile, v);
  memory_rows(run, profile, v);
  using R = StorageRow;
  v.summary.push_back(summarise<R>(
      "throughput (IOPS)", v.storage, [](const R& r) { return r.measured_iops; },
      [](const R& r) { return r.predicted_iops; }, storage_label));
  v.summary.push_back(summarise<R>(
      "bandwidth", v.storage, [](const R& r) { return r.measured_bw; },
      [](const R& r) { return r.predicted_bw; }, storage_label));
  v.summary.push_back(summarise<R>(
      "p50 latency", v.storage, [](const R& r) { return r.measured_p50; },
      [](const R& r) { return r.predicted_p50; }, storage_label));
  v.summary.push_back(summarise<R>(
      "mean latency", v.storage, [](const R& r) { return r.measured_mean; },
      [](const R& r) { return r.predicted_mean; }, storage_label));
  if (!v.scalars.empty()) {
    v.summary.push_back(summarise<ScalarRow>(
        "network and memory", v.scalars, [](const ScalarRow& r) { return r.measured; },
        [](const ScalarRow& r) { return r.predicted; }, scalar_label));
  }
  return v;
}

std::string validation_table(const Validation& v) {
  std::string out;
  if (!v.storage.empty()) {
    out += fmt::format("{:<24} {:>10} {:>10} {:>7}  {:>9} {:>9} {:>7}  {:>8} {:>8} {:>7}\n",
                       "point", "IOPS", "predicted", "error", "MB/s", "predicted", "error",
                       "p50 us", "predicted", "error");
    for (const StorageRow& r : v.storage) {
      out += fmt::format(
          "{:<24} {:>10.0f} {:>10.0f} {:>7}  {:>9.1f} {:>9.1f} {:>7}  {:>8} {:>8} {:>7}\n",
          r.jobname, r.measured_iops, r.predicted_iops,
          percent(relative_error(r.measured_iops, r.predicted_iops)), r.measured_bw * 1e-6,
          r.predicted_bw * 1e-6, percent(relative_error(r.measured_bw, r.predicted_bw)),
          latency_text(r.measured_p50), latency_text(r.predicted_p50),
          percent(relative_error(r.measured_p50, r.predicted_p50)));
    }
  }
  if (!v.scalars.empty()) {
    out += fmt::format("{:<32} {:>14} {:>14} {:>7}\n", "network and memory", "measured",
                       "predicted", "error");
    for (const ScalarRow& r : v.scalars) {
      const bool rate = r.unit == "B/s";
      out += fmt::format("{:<32} {:>14} {:>14} {:>7}\n", r.section + " " + r.name,
                         rate ? fmt::format("{:.1f} MB/s", r.measured * 1e-6)
                              : fmt::format("{:.2f} us", r.measured * 1e6),
                         rate ? fmt::format("{:.1f} MB/s", r.predicted * 1e-6)
                              : fmt::format("{:.2f} us", r.predicted * 1e6),
                         percent(relative_error(r.measured, r.predicted)));
    }
  }
  for (const ErrorSummary& s : v.summary) {
    if (s.points == 0)
      continue;
    out += fmt::format("{}: median |error| {:.1f}%, worst {:.1f}% ({}), {} points\n", s.metric,
                       100 * s.median_abs, 100 * s.worst_abs, s.worst_point, s.points);
  }
  return out;
}

nlohmann::json validation_json(const Validation& v, const std::string& probe_file,
                               const std::string& profile_file) {
  nlohmann::json doc;
  doc["schema"] = "validation.v1";
  doc["probe"] = probe_file;
  doc["profile"] = profile_file;
  doc["storage"] = nlohmann::json::array();
  for (const StorageRow& r : v.storage) {
    doc["storage"].push_back({
        {"jobname", r.jobname},
        {"rw", name(r.op)},
        {"bs", r.bytes},
        {"iodepth", r.iodepth},
        {"simulated_requests", r.simulated_requests},
        {"iops",
         {{"measured", r.measured_iops},
          {"predicted", r.predicted_iops},
          {"error", relative_error(r.measured_iops, r.predicted_iops)}}},
        {"bw_bytes",
         {{"measured", r.measured_bw},
          {"predicted", r.predicted_bw},
          {"error", relative_error(r.measured_bw, r.predicted_bw)}}},
        {"clat_p50_s",
         {{"measured", r.measured_p50},
          {"predicted", r.predicted_p50},
          {"error", relative_error(r.measured_p50, r.predicted_p50)}}},
        {"clat_mean_s",
         {{"measured", r.measured_mean},
          {"predicted", r.predicted_mean},
          {"error", relative_error(r.measured_mean, r.predicted_mean)}}},
    });
  }
  doc["scalars"] = nlohmann::json::array();
  for (const ScalarRow& r : v.scalars) {
    doc["scalars"].push_back({{"section", r.section},
                              {"name", r.name},
                              {"unit", r.unit},
                              {"measured", r.measured},
                              {"predicted", r.predicted},
                              {"error", relative_error(r.measured, r.predicted)}});
  }
  doc["summary"] = nlohmann::json::array();
  for (const ErrorSummary& s : v.summary) {
    doc["summary"].push_back({{"metric", s.metric},
                              {"points", s.points},
                              {"median_abs_error", s.median_abs},
                              {"worst_abs_error", s.worst_abs},
                              {"worst_point", s.worst_point}});
  }
  return doc;
}

}  // namespace stormsim::calibration

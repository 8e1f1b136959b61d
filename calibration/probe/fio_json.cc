#include "calibration/probe/fio_json.h"

#include <fmt/format.h>

#include <cmath>

namespace stormsim::probe {

std::string fio_percentile_key(double p) {
  return fmt::format("{:.6f}", p);
}

nlohmann::json fio_latency_json(const sim::stats::HdrHistogram& h, bool with_percentiles) {
  nlohmann::json j;
  if (h.count() == 0) {
    j = {{"min", 0}, {"max", 0}, {"mean", 0.0}, {"N", 0}};
    return j;
  }
  j["min"] = static_cast<std::int64_t>(h.min());
  j["max"] = static_cast<std::int64_t>(h.max());
  j["mean"] = h.mean();
  j["N"] = h.count();
  if (with_percentiles) {
    nlohmann::json pct = nlohmann::json::object();
    for (double p : kFioPercentiles) {
      pct[fio_percentile_key(p)] = static_cast<std::int64_t>(std::llround(h.percentile(p)));
    }
    j["percentile"] = std::move(pct);
  }
  return j;
}

nlohmann::json fio_direction_json(const DirectionStats& s) {
  const double seconds = static_cast<double>(s.runtime_ns) * 1e-9;
  const double bw = seconds > 0 ? static_cast<double>(s.bytes) / seconds : 0.0;
  const double iops = seconds > 0 ? static_cast<double>(s.ios) / seconds : 0.0;
  const sim::stats::HdrHistogram empty;
  nlohmann::json j;
  j["io_bytes"] = s.bytes;
  j["io_kbytes"] = s.bytes / 1024;
  j["bw_bytes"] = static_cast<std::uint64_t>(std::llround(bw));
  j["bw"] = static_cast<std::uint64_t>(std::llround(bw / 1024.0));
  j["iops"] = iops;
  j["runtime"] = s.ios == 0 ? 0 : (s.runtime_ns + 500'000) / 1'000'000;
  j["total_ios"] = s.ios;
  j["short_ios"] = s.short_ios;
  j["drop_ios"] = 0;
  j["clat_ns"] = fio_latency_json(s.clat != nullptr ? *s.clat : empty, true);
  j["lat_ns"] = fio_latency_json(s.lat != nullptr ? *s.lat : empty, false);
  return j;
}

}  // namespace stormsim::probe

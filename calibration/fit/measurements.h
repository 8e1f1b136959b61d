// What the fitter and the validator read from a probe.v1 document (also the
// one `stormsim calibrate --fio` makes): storage points, TCP, RDMA, memory.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/devices/profile.h"

namespace stormsim::calibration {

// One point of the storage matrix, in SI units.
struct StoragePoint {
  std::string jobname;
  std::string key;  // "storage.points.3", for messages
  models::devices::IoOp op = models::devices::IoOp::kRead;
  double bytes = 0;  // request size
  int iodepth = 1;
  double iops = 0;
  double bw = 0;               // bytes/s
  double clat_mean = 0;        // s
  double clat_p50 = 0;         // s
  double clat_p99 = 0;         // s; 0 when not recorded
  double lat_mean = 0;         // s, submission included; 0 when not recorded
  double runtime = 0;          // s
  std::vector<double> series;  // bytes/s per interval; empty without a series
  double series_interval = 0;  // s
};

struct TcpStream {
  int streams = 1;
  double bw = 0;  // bytes/s
};

struct TcpMeasurements {
  std::vector<TcpStream> streams;
  double rtt_p50 = 0;  // s; 0 when not measured
  double rtt_mean = 0;
};

struct RdmaPoint {
  std::string op;  // write | read
  double bytes = 0;
  double bw = 0;        // bytes/s
  double lat_p50 = 0;   // s, one operation at a time
  double lat_mean = 0;  // s
};

struct MemoryCopy {
  int threads = 1;
  double bw = 0;  // bytes/s
};

// A probe run as the fitter sees it. Sections the probe skipped or that
// failed are empty; `notes` says why, one line each.
struct ProbeRun {
  std::string file;
  std::vector<StoragePoint> storage;
  std::optional<TcpMeasurements> tcp;
  std::vector<RdmaPoint> rdma;
  std::vector<MemoryCopy> memory;
  nlohmann::json source;  // probe facts, host facts
  std::vector<std::string> notes;
};

// Reads a parsed probe.v1 document. A malformed document (a missing or
// mistyped key in a section whose status is ok) is a
// sim::config::ConfigError naming `file` and the JSON key.
ProbeRun read_probe(const nlohmann::json& doc, const std::string& file);
// Reads and parses `path`; a missing file or bad JSON is a ConfigError too.
ProbeRun read_probe_file(const std::string& path);
// The parsed JSON of a probe file, with read_probe_file's errors.
nlohmann::json load_probe_json(const std::string& path);

}  // namespace stormsim::calibration

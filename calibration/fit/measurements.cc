#include "calibration/fit/measurements.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "sim/config/error.h"

namespace stormsim::calibration {

using models::devices::IoOp;
using sim::config::ConfigError;
using sim::config::Location;

namespace {

// A JSON value and where it is, so that every error names the file and key.
class Cursor {
 public:
  Cursor(const nlohmann::json& value, const std::string& file, std::string key)
      : value_(&value), file_(&file), key_(std::move(key)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& key() const { return key_; }
  bool has(std::string_view k) const { return value_->is_object() && value_->contains(k); }

  Cursor operator[](std::string_view k) const {
    if (!value_->is_object())
      fail(fmt::format("expected an object, got {}", value_->type_name()));
    const auto it = value_->find(k);
    const std::string child = key_.empty() ? std::string(k) : fmt::format("{}.{}", key_, k);
    if (it == value_->end())
      throw ConfigError(Location{*file_, 0, 0}, child, "missing");
    return Cursor(*it, *file_, child);
  }
  Cursor operator[](std::size_t i) const {
    return Cursor(value_->at(i), *file_, fmt::format("{}.{}", key_, i));
  }
  std::size_t size() const { return value_->size(); }

  double number() const {
    if (!value_->is_number())
      fail(fmt::format("expected a number, got {}", value_->type_name()));
    return value_->get<double>();
  }
  double positive() const {
    const double v = number();
    if (!(v > 0))
      fail(fmt::format("expected a number > 0, got {}", v));
    return v;
  }
  double non_negative() const {
    const double v = number();
    if (!(v >= 0))
      fail(fmt::format("expected a number >= 0, got {}", v));
    return v;
  }
  std::string string() const {
    if (!value_->is_string())
      fail(fmt::format("expected a string, got {}", value_->type_name()));
    return value_->get<std::string>();
  }
  const nlohmann::json& array() const {
    if (!value_->is_array())
      fail(fmt::format("expected an array, got {}", value_->type_name()));
    return *value_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw ConfigError(Location{*file_, 0, 0}, key_, what);
  }

 private:
  const nlohmann::json* value_;
  const std::string* file_;
  std::string key_;
};

bool section_ok(const nlohmann::json& doc, const char* name, std::vector<std::string>& notes) {
  if (!doc.contains(name))
    return false;
  const nlohmann::json& s = doc[name];
  if (!s.is_object())
    return false;
  const std::string status = s.value("status", std::string("ok"));
  if (status != "ok") {
    notes.push_back(fmt::format("{}: {}{}", name, status,
                                s.contains("message") && s["message"].is_string()
                                    ? ": " + s["message"].get<std::string>()
                                    : std::string()));
    return false;
  }
  return true;
}

double percentile_or(const Cursor& latency, const char* key, double fallback) {
  if (!latency.has("percentile"))
    return fallback;
  const Cursor p = latency["percentile"];
  return p.has(key) ? p[key].non_negative() : fallback;
}

std::optional<StoragePoint> storage_point(const Cursor& c, std::vector<std::string>& notes) {
  StoragePoint p;
  p.key = c.key();
  p.jobname = c.has("jobname") ? c["jobname"].string() : c.key();
  if (c.has("status") && c["status"].string() != "ok") {
    notes.push_back(fmt::format("{}: skipped, status {}", p.jobname, c["status"].string()));
    return std::nullopt;
  }
  const std::string rw = c["rw"].string();
  const auto op = models::devices::parse_io_op(rw);
  if (!op) {
    notes.push_back(
        fmt::format("{}: skipped, rw={} is not read, write, randread or randwrite", p.jobname, rw));
    return std::nullopt;
  }
  p.op = *op;
  p.bytes = c["bs"].positive();
  p.iodepth = static_cast<int>(c["iodepth"].positive());
  const Cursor s = c[models::devices::is_write(p.op) ? "write" : "read"];
  p.iops = s["iops"].non_negative();
  p.bw = s["bw_bytes"].non_negative();
  if (p.iops <= 0) {
    notes.push_back(fmt::format("{}: skipped, no completed IO", p.jobname));
    return std::nullopt;
  }
  const Cursor clat = s["clat_ns"];
  p.clat_mean = clat["mean"].non_negative() * 1e-9;
  p.clat_p50 = percentile_or(clat, "50.000000", clat["mean"].number()) * 1e-9;
  p.clat_p99 = percentile_or(clat, "99.000000", 0) * 1e-9;
  if (s.has("lat_ns") && s["lat_ns"].has("mean"))
    p.lat_mean = s["lat_ns"]["mean"].non_negative() * 1e-9;
  p.runtime = s["runtime"].non_negative() * 1e-3;
  if (c.has("series")) {
    const Cursor series = c["series"];
    p.series_interval = series["interval_ns"].positive() * 1e-9;
    for (const nlohmann::json& v : series["bw_bytes"].array()) {
      if (!v.is_number())
        series["bw_bytes"].fail("expected numbers");
      p.series.push_back(v.get<double>());
    }
  }
  if (p.runtime <= 0)
    p.runtime = p.series.empty() ? 1.0 : p.series_interval * static_cast<double>(p.series.size());
  return p;
}

void read_storage(const Cursor& doc, ProbeRun& run) {
  if (!section_ok(doc.value(), "storage", run.notes))
    return;
  const Cursor storage = doc["storage"];
  const Cursor points = storage["points"];
  points.array();
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (auto p = storage_point(points[i], run.notes))
      run.storage.push_back(std::move(*p));
  }
}

void read_tcp(const Cursor& doc, ProbeRun& run) {
  if (!section_ok(doc.value(), "tcp", run.notes))
    return;
  const Cursor tcp = doc["tcp"];
  TcpMeasurements m;
  if (tcp.has("stream")) {
    const Cursor streams = tcp["stream"];
    streams.array();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      m.streams.push_back(TcpStream{static_cast<int>(streams[i]["streams"].positive()),
                                    streams[i]["bw_bytes"].positive()});
    }
  }
  if (tcp.has("rr")) {
    const Cursor rtt = tcp["rr"]["rtt_ns"];
    m.rtt_mean = rtt["mean"].positive() * 1e-9;
    m.rtt_p50 = percentile_or(rtt, "50.000000", rtt["mean"].number()) * 1e-9;
  }
  if (m.streams.empty()) {
    run.notes.push_back("tcp: no stream bandwidth measured");
    return;
  }
  run.tcp = std::move(m);
}

void read_rdma(const Cursor& doc, ProbeRun& run) {
  if (!section_ok(doc.value(), "rdma", run.notes))
    return;
  const Cursor points = doc["rdma"]["points"];
  points.array();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Cursor p = points[i];
    const Cursor lat = p["lat_ns"];
    run.rdma.push_back(RdmaPoint{p["op"].string(), p["bytes"].positive(), p["bw_bytes"].positive(),
                                 percentile_or(lat, "50.000000", lat["mean"].number()) * 1e-9,
                                 lat["mean"].positive() * 1e-9});
  }
}

void read_memory(const Cursor& doc, ProbeRun& run) {
  if (!section_ok(doc.value(), "memory", run.notes))
    return;
  const Cursor copies = doc["memory"]["copy"];
  copies.array();
  for (std::size_t i = 0; i < copies.size(); ++i) {
    run.memory.push_back(MemoryCopy{static_cast<int>(copies[i]["threads"].positive()),
                                    copies[i]["bw_bytes"].positive()});
  }
}

// What a profile keeps of the run it came from.
nlohmann::json source_of(const nlohmann::json& doc, const std::string& file) {
  nlohmann::json s = nlohmann::json::object();
  s["file"] = file;
  s["schema"] = doc.value("schema", "");
  if (doc.contains("probe") && doc["probe"].is_object()) {
    const nlohmann::json& probe = doc["probe"];
    for (const char* k : {"version", "started", "mode", "command_line", "imported_from"}) {
      if (probe.contains(k))
        s[k] = probe[k];
    }
  }
  if (doc.contains("host") && doc["host"].is_object())
    s["host"] = doc["host"];
  return s;
}

}  // namespace

ProbeRun read_probe(const nlohmann::json& doc, const std::string& file) {
  const Cursor root(doc, file, "");
  if (!doc.is_object())
    root.fail(fmt::format("a probe document is a JSON object, got {}", doc.type_name()));
  const std::string schema = root["schema"].string();
  if (schema != "probe.v1")
    root["schema"].fail(fmt::format("expected \"probe.v1\", got \"{}\"", schema));
  ProbeRun run;
  run.file = file;
  read_storage(root, run);
  read_tcp(root, run);
  read_rdma(root, run);
  read_memory(root, run);
  run.source = source_of(doc, file);
  return run;
}

nlohmann::json load_probe_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(Location{path, 0, 0}, "", "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw ConfigError(Location{path, 0, 0}, "",
                      fmt::format("not JSON (byte {}): {}", e.byte, e.what()));
  }
}

ProbeRun read_probe_file(const std::string& path) {
  return read_probe(load_probe_json(path), path);
}

}  // namespace stormsim::calibration

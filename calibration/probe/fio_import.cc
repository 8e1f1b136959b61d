#include "calibration/probe/fio_import.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "calibration/probe/json_output.h"

namespace stormsim::probe {
namespace {

// fio 2.x reported latencies in microseconds under these names.
constexpr std::pair<const char*, const char*> kMicrosecondLatencies[] = {
    {"clat", "clat_ns"}, {"lat", "lat_ns"}, {"slat", "slat_ns"}};

nlohmann::json scaled_latency(const nlohmann::json& us) {
  nlohmann::json ns = nlohmann::json::object();
  for (const auto& [key, value] : us.items()) {
    if (key == "percentile" && value.is_object()) {
      nlohmann::json pct = nlohmann::json::object();
      for (const auto& [p, v] : value.items()) {
        pct[p] = v.is_number() ? nlohmann::json(v.get<double>() * 1000.0) : v;
      }
      ns[key] = std::move(pct);
    } else if ((key == "min" || key == "max" || key == "mean" || key == "stddev") &&
               value.is_number()) {
      ns[key] = value.get<double>() * 1000.0;
    } else {
      ns[key] = value;
    }
  }
  return ns;
}

nlohmann::json direction(const nlohmann::json& fio_dir) {
  if (!fio_dir.is_object()) {
    return nlohmann::json::object();
  }
  nlohmann::json d = fio_dir;
  for (const auto& [us_key, ns_key] : kMicrosecondLatencies) {
    if (!d.contains(ns_key) && d.contains(us_key) && d[us_key].is_object()) {
      d[ns_key] = scaled_latency(d[us_key]);
      d.erase(us_key);
    }
  }
  if (!d.contains("bw_bytes") && d.contains("bw") && d["bw"].is_number()) {
    d["bw_bytes"] = d["bw"].get<double>() * 1024.0;
  }
  if (!d.contains("io_bytes") && d.contains("io_kbytes") && d["io_kbytes"].is_number()) {
    d["io_bytes"] = d["io_kbytes"].get<std::uint64_t>() * 1024;
  }
  return d;
}

std::string option_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

nlohmann::json point(const nlohmann::json& job, const nlohmann::json& global) {
  nlohmann::json opts = global.is_object() ? global : nlohmann::json::object();
  if (job.contains("job options") && job["job options"].is_object()) {
    for (const auto& [k, v] : job["job options"].items()) {
      opts[k] = v;
    }
  }
  auto opt = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* n : names) {
      if (opts.contains(n)) {
        return option_text(opts[n]);
      }
    }
    return {};
  };
  std::string rw = opt({"rw", "readwrite"});
  if (rw.empty()) {
    rw = "read";  // fio's default
  }
  const std::string bs_text = opt({"bs", "blocksize"});
  std::uint64_t bs = 4096;  // fio's default
  if (!bs_text.empty()) {
    // "4k,64k" is read,write: a write job's size is the second.
    const auto comma = bs_text.find(',');
    const bool writes = rw.find("write") != std::string::npos;
    bs = parse_fio_size(comma != std::string::npos && writes ? bs_text.substr(comma + 1) : bs_text);
  }
  const std::string depth_text = opt({"iodepth"});
  int depth = 1;
  if (!depth_text.empty()) {
    std::from_chars(depth_text.data(), depth_text.data() + depth_text.size(), depth);
  }
  const std::string direct = opt({"direct"});
  const std::string buffered = opt({"buffered"});
  nlohmann::json p;
  p["jobname"] = job.value("jobname", "");
  p["job options"] = opts;
  p["rw"] = rw;
  p["bs"] = bs;
  p["iodepth"] = depth;
  p["direct"] = direct == "1" || direct == "true" || buffered == "0";
  p["ioengine"] = opt({"ioengine"});
  p["source"] = "fio";
  const int error = job.value("error", 0);
  p["status"] = error == 0 ? "ok" : "error";
  if (error != 0) {
    p["message"] = fmt::format("fio reported error {}", error);
  }
  p["read"] = direction(job.value("read", nlohmann::json::object()));
  p["write"] = direction(job.value("write", nlohmann::json::object()));
  for (const char* extra : {"trim", "steadystate", "job_runtime", "usr_cpu", "sys_cpu",
                            "iodepth_level", "latency_ns", "latency_us", "latency_ms"}) {
    if (job.contains(extra)) {
      p[extra] = job[extra];
    }
  }
  return p;
}

}  // namespace

std::uint64_t parse_fio_size(std::string_view text) {
  std::string_view t = text;
  if (const auto cut = t.find_first_of(",-:"); cut != std::string_view::npos) {
    t = t.substr(0, cut);
  }
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) {
    t.remove_prefix(1);
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end == t.data()) {
    throw std::invalid_argument(fmt::format("invalid fio size \"{}\"", text));
  }
  std::string unit(end, t.data() + t.size());
  for (auto& c : unit) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // fio reads k, kb, kib alike as 1024 (its default kb_base=1024).
  static constexpr std::pair<const char*, int> kUnits[] = {
      {"", 0},    {"b", 0}, {"k", 1},  {"kb", 1},  {"kib", 1}, {"m", 2},  {"mb", 2},
      {"mib", 2}, {"g", 3}, {"gb", 3}, {"gib", 3}, {"t", 4},   {"tb", 4}, {"tib", 4}};
  for (const auto& [name, power] : kUnits) {
    if (unit == name) {
      return value << (10 * power);
    }
  }
  throw std::invalid_argument(
      fmt::format("invalid fio size \"{}\": unknown unit \"{}\"", text, unit));
}

nlohmann::json import_fio(const nlohmann::json& fio, const std::string& source) {
  if (!fio.is_object() || !fio.contains("jobs") || !fio["jobs"].is_array()) {
    throw std::invalid_argument(fmt::format(
        "{} is not fio JSON output (no \"jobs\" array); run fio with --output-format=json",
        source));
  }
  nlohmann::json doc = new_document({});
  doc["probe"].erase("command_line");
  doc["probe"]["imported_from"] = "fio";
  doc["probe"]["source"] = source;
  doc["probe"]["fio_version"] = fio.value("fio version", "");
  if (fio.contains("time")) {
    doc["probe"]["fio_time"] = fio["time"];
  }
  nlohmann::json host = nlohmann::json::object();
  if (fio.contains("disk_util")) {
    host["disk_util"] = fio["disk_util"];
  }
  doc["host"] = std::move(host);
  const nlohmann::json global = fio.value("global options", nlohmann::json::object());
  nlohmann::json points = nlohmann::json::array();
  for (const auto& job : fio["jobs"]) {
    points.push_back(point(job, global));
  }
  doc["storage"] = {{"status", "ok"}, {"source", "fio"}, {"points", std::move(points)}};
  return doc;
}

nlohmann::json import_fio_text(std::string_view text, const std::string& source) {
  // The JSON document starts at the first line that begins with '{'.
  std::size_t start = 0;
  while (start < text.size() && text[start] != '{') {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      start = text.size();
      break;
    }
    start = nl + 1;
  }
  if (start >= text.size()) {
    throw std::invalid_argument(fmt::format("{} holds no JSON document", source));
  }
  nlohmann::json fio;
  try {
    fio = nlohmann::json::parse(text.substr(start));
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  nlohmann::json doc = import_fio(fio, source);
  if (start > 0) {
    std::string warnings(text.substr(0, start));
    while (!warnings.empty() && warnings.back() == '\n') {
      warnings.pop_back();
    }
    doc["probe"]["fio_warnings"] = warnings;
  }
  return doc;
}

nlohmann::json import_fio_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(fmt::format("cannot read {}", path));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return import_fio_text(ss.str(), path);
}

}  // namespace stormsim::probe

// Reads back a Chrome trace JSON and checks its structure: the tests of the
// writer and of the workloads that emit records share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

namespace stormsim::tests {

struct TraceSummary {
  nlohmann::json doc;
  std::map<std::int64_t, std::string> processes;  // pid -> process_name
  // "process/thread" names, and (pid, tid) -> thread name.
  std::set<std::string> threads;
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> thread_of;
  std::set<std::string> counters;  // "process/counter"
  std::map<std::string, std::size_t> counter_samples;
  std::map<std::string, std::size_t> slices;    // B events by name
  std::map<std::string, std::size_t> instants;  // i events by name
  std::size_t events = 0;
  bool balanced = true;  // B/E nest per track and all close
  bool monotone = true;  // timestamps never go back per track or counter
  bool spaced = true;    // counter samples at least `period_us` apart
  std::string problem;   // the first violation
};

// Parses `path` (throws on invalid JSON) and summarizes it; counter samples
// closer than `period_us` make `spaced` false.
// A file's bytes, to compare two traces.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline TraceSummary read_trace(const std::filesystem::path& path, double period_us = 0) {
  TraceSummary s;
  std::ifstream in(path);
  s.doc = nlohmann::json::parse(in);
  std::map<std::pair<std::int64_t, std::int64_t>, int> depth;
  std::map<std::pair<std::int64_t, std::int64_t>, double> last_ts;
  std::map<std::string, double> last_counter;
  const auto violate = [&](bool& flag, const std::string& what) {
    if (flag)
      s.problem = what;
    flag = false;
  };
  for (const auto& e : s.doc.at("traceEvents")) {
    ++s.events;
    const std::string ph = e.at("ph");
    const std::int64_t pid = e.value("pid", std::int64_t{0});
    const std::int64_t tid = e.value("tid", std::int64_t{0});
    const auto key = std::make_pair(pid, tid);
    if (ph == "M") {
      const std::string name = e.at("name");
      if (name == "process_name")
        s.processes[pid] = e.at("args").at("name");
      if (name == "thread_name") {
        s.thread_of[key] = e.at("args").at("name");
        s.threads.insert(s.processes[pid] + "/" + s.thread_of[key]);
      }
      continue;
    }
    const double ts = e.at("ts");
    if (ph == "C") {
      const std::string name = s.processes[pid] + "/" + e.at("name").get<std::string>();
      s.counters.insert(name);
      ++s.counter_samples[name];
      if (last_counter.count(name) && ts < last_counter[name])
        violate(s.monotone, "counter " + name + " goes back in time");
      if (last_counter.count(name) && ts - last_counter[name] < period_us - 1e-9)
        violate(s.spaced, "counter " + name + " sampled twice in a period");
      last_counter[name] = ts;
      continue;
    }
    if (ph == "i" && e.value("s", "t") != "t") {
      ++s.instants[e.at("name")];
      continue;
    }
    if (last_ts.count(key) && ts < last_ts[key])
      violate(s.monotone, "track " + s.thread_of[key] + " goes back in time");
    last_ts[key] = ts;
    if (ph == "B") {
      ++depth[key];
      ++s.slices[e.at("name")];
    } else if (ph == "E") {
      if (--depth[key] < 0)
        violate(s.balanced, "track " + s.thread_of[key] + " ends a slice it never began");
    } else if (ph == "i") {
      ++s.instants[e.at("name")];
    }
  }
  for (const auto& [key, d] : depth) {
    if (d != 0)
      violate(s.balanced, "track " + s.thread_of[key] + " leaves a slice open");
  }
  return s;
}

}  // namespace stormsim::tests

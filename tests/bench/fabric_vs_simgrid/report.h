// What each benchmark binary prints: one JSON line with the simulated
// completion time, the wall time and the peak resident memory.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "tests/bench/fabric_vs_simgrid/scenario.h"

namespace stormsim::bench::fabric {

struct Result {
  const char* simulator;
  std::uint32_t n;
  std::uint64_t flows;
  double completion_s;
  double setup_s;  // building the platform and the processes
  double run_s;    // the simulation itself
};

// Peak resident set of this program, in KiB: VmHWM, the high-water mark of
// its own address space. Not ru_maxrss, which Linux carries over exec() from
// the forked parent, so that a binary started by a 15 MiB Python reports at
// least 15 MiB.
inline long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    long kib = 0;
    if (key == "VmHWM:" && status >> kib)
      return kib;
    status.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// CPU time of this process, user and system: unlike wall time, not inflated
// by other work on a shared machine.
inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// wall_s is setup and run together: what a user waits for.
inline void print_json(const Result& r) {
  std::printf(
      "{\"simulator\": \"%s\", \"n\": %u, \"flows\": %llu, \"completion_s\": %.9f, "
      "\"closed_form_s\": %.9f, "
      "\"wall_s\": %.3f, \"setup_s\": %.3f, \"run_s\": %.3f, \"cpu_s\": %.3f, "
      "\"peak_rss_kib\": %ld}\n",
      r.simulator, r.n, static_cast<unsigned long long>(r.flows), r.completion_s,
      closed_form_seconds(r.n), r.setup_s + r.run_s, r.setup_s, r.run_s, cpu_seconds(),
      peak_rss_kib());
  std::fflush(stdout);
}

}  // namespace stormsim::bench::fabric

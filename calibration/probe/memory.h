// Memory copy bandwidth: memcpy between two large buffers, on one thread and
// on every online CPU.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "calibration/probe/clock.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {

struct MemoryOptions {
  std::uint64_t buffer_bytes = 256 << 20;  // each of source and destination, beyond the caches
  std::int64_t runtime_ns = kNsPerSec;     // per thread count
  int threads = 0;                         // the parallel test's threads; 0: online CPUs
};

// {"status", "buffer_bytes", "copy": [{"threads", "bytes", "runtime_ns",
// "bw_bytes" (bytes copied per second), "stream_bw_bytes" (read + written,
// as STREAM's Copy counts)}]}.
nlohmann::json run_memory(const MemoryOptions& options, Reporter& report);

}  // namespace stormsim::probe

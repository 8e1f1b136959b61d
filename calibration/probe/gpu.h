// GPU: host-to-device and device-to-host copy bandwidth from pinned and
// pageable host memory, through a CUDA runtime found at run time (dlopen), so
// the probe builds and runs on machines without CUDA.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibration/probe/clock.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {

struct GpuOptions {
  std::string cudart;                       // a libcudart path; empty: the usual sonames
  std::vector<std::uint64_t> sizes;         // bytes per copy
  std::int64_t runtime_ns = kNsPerSec / 4;  // per size, direction and memory kind
  int device = -1;                          // -1: every device
};

// {"status": "skipped", "message": "no CUDA runtime"} without one; else
// {"status", "library", "runtime_version", "driver_version", "devices":
// [{"index", "name", "pci_bus_id", "copies": [{"direction": "h2d"|"d2h",
// "memory": "pinned"|"pageable", "bytes", "copies", "runtime_ns",
// "bw_bytes"}]}]}.
nlohmann::json run_gpu(const GpuOptions& options, Reporter& report);

}  // namespace stormsim::probe

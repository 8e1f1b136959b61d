// The storage section: the target file under the safety rules, its layout,
// optional preconditioning, and the sweep over operation x block size x
// queue depth, each point as fio would report it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "calibration/probe/report.h"
#include "calibration/probe/steady_state.h"
#include "calibration/probe/storage_uring.h"
#include "calibration/probe/target_file.h"

namespace stormsim::probe {

struct StorageOptions {
  TargetRequest target;
  std::vector<Op> ops;
  std::vector<std::uint32_t> block_sizes;
  std::vector<std::uint32_t> depths;
  std::int64_t runtime_ns = kNsPerSec;
  std::int64_t ramp_ns = 0;
  std::int64_t sample_ns = kNsPerSec;
  bool register_buffers = true;
  bool register_files = true;
  bool huge_pages = true;
  // Writes the whole region once before the sweep, so reads hit real blocks.
  // Only an existing file or device may skip it (its contents are real);
  // a file the probe creates is always laid out.
  bool layout = true;
  // Sequential 128 KiB writes over the whole region, this many times, before
  // the sweep (SNIA PTS's workload-independent preconditioning uses 2).
  int precondition_passes = 0;
  std::optional<SteadyStateSpec> steady_state;
  std::int64_t ss_window_ns = 0;
  std::uint64_t seed = 1;
};

// Runs the section and returns its JSON object ("status", "target", "layout",
// "precondition", "points", ...). Environment limits become statuses, never
// exceptions; the target is removed before returning.
nlohmann::json run_storage(const StorageOptions& options, Reporter& report);

// One point in fio's vocabulary: "jobname", "job options", "read", "write",
// plus "rw", "bs", "iodepth", "direct", registration flags, "series" and
// "steadystate".
nlohmann::json storage_point_json(const JobSpec& spec, const JobResult& result, bool direct,
                                  std::uint64_t file_size);

}  // namespace stormsim::probe

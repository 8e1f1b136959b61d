// One storage job on io_uring, fio's io_uring engine in miniature: a fixed
// number of requests in flight, registered buffers and file, batched
// submission and completion, fio's latency definitions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/probe/clock.h"
#include "calibration/probe/steady_state.h"
#include "sim/stats/hdr_histogram.h"

namespace stormsim::probe {

enum class Op { kRead, kWrite, kRandRead, kRandWrite };

// fio's rw= names: "read", "write", "randread", "randwrite".
std::string_view op_name(Op op);
std::optional<Op> parse_op(std::string_view name);
inline bool is_write(Op op) {
  return op == Op::kWrite || op == Op::kRandWrite;
}
inline bool is_random(Op op) {
  return op == Op::kRandRead || op == Op::kRandWrite;
}

struct JobSpec {
  Op op = Op::kRead;
  std::uint32_t block_size = 4096;
  std::uint32_t queue_depth = 1;
  // Time-based (runtime_ns > 0): issue for ramp_ns unmeasured, then measure
  // completions for runtime_ns. Size-based (bytes_limit > 0): issue that many
  // bytes (wrapping around the file) and measure all of it.
  std::int64_t ramp_ns = 0;
  std::int64_t runtime_ns = 0;
  std::uint64_t bytes_limit = 0;
  std::int64_t sample_ns = kNsPerSec;  // the per-interval series' resolution
  // With a criterion, runtime_ns is the longest the job runs: it stops at the
  // first sample where the last ss_window_ns of samples satisfy it.
  std::optional<SteadyStateSpec> steady_state;
  std::int64_t ss_window_ns = 0;
  bool register_buffers = true;
  bool register_files = true;
  bool huge_pages = true;  // THP-advised buffers from 64 KiB up (see Buffers)
  std::uint64_t seed = 1;
};

struct JobResult {
  std::string status = "ok";  // report.h's statuses
  std::string message;
  int error =
      0;  // errno of a failed IO or set-up step; EINVAL under O_DIRECT lets the caller fall back
  bool interrupted = false;

  std::uint64_t ios = 0;  // completed within the measured window
  std::uint64_t bytes = 0;
  std::uint64_t short_ios = 0;
  std::int64_t runtime_ns = 0;  // the measured window's length
  // fio's definitions: clat from the return of the submitting io_uring_enter
  // to the reaping of the completion, lat from just before that enter.
  sim::stats::HdrHistogram clat;
  sim::stats::HdrHistogram lat;
  // Completions and bytes per sample_ns interval of the measured window (the
  // last interval may be shorter: series_last_ns says how long).
  std::vector<std::uint64_t> series_ios;
  std::vector<std::uint64_t> series_bytes;
  std::int64_t series_last_ns = 0;

  bool registered_buffers = false;
  bool registered_files = false;
  std::string buffers_note;  // why buffers are not registered, when asked for
  std::string files_note;
  unsigned ring_flags = 0;         // IORING_SETUP_* used
  bool huge_page_buffers = false;  // buffers advised to use transparent huge pages

  std::optional<SteadyStateCheck> steady_state;  // the last evaluation
  bool steady_state_attained = false;
};

// Whether io_uring can be set up here; when not, why, in one line.
struct UringAvailability {
  bool ok = false;
  int error = 0;
  std::string message;
};
UringAvailability check_io_uring();

// One-line explanations of the graceful-limit cases, exposed for tests.
// `disabled_sysctl`: /proc/sys/kernel/io_uring_disabled when present.
std::string describe_uring_setup_error(int err, std::optional<int> disabled_sysctl);
// `memlock`: RLIMIT_MEMLOCK (nullopt: unlimited).
std::string describe_register_buffers_error(int err, std::uint64_t bytes,
                                            std::optional<std::uint64_t> memlock,
                                            bool cap_ipc_lock);

// Runs `spec` against [0, file_size) of `fd`. Never throws for IO errors:
// they end the job with a status. Stops early, interrupted, on Ctrl-C.
JobResult run_uring_job(int fd, std::uint64_t file_size, const JobSpec& spec);

}  // namespace stormsim::probe

// The probe's command line: what each section measures, with the quick and
// full matrices as defaults that every option can override.
#pragma once

#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "calibration/probe/gpu.h"
#include "calibration/probe/memory.h"
#include "calibration/probe/rdma.h"
#include "calibration/probe/storage_sweep.h"
#include "calibration/probe/tcp.h"

namespace stormsim::probe {

inline const std::vector<std::string> kSections{"storage", "memory", "tcp", "rdma", "gpu"};

// Options as typed: strings with units, resolved once the mode is known.
struct RawOptions {
  bool quick = false;
  std::string output = "probe.json";
  std::vector<std::string> sections;
  std::string import_fio;

  std::string dir;
  std::string file;
  bool destructive = false;
  bool read_only_device = false;
  std::string size;
  std::vector<std::string> ops;
  std::vector<std::string> sizes;
  std::vector<int> depths;
  std::string runtime;
  std::string ramp;
  std::string sample_interval = "1s";
  bool buffered = false;
  bool no_register_buffers = false;
  bool no_register_files = false;
  bool no_layout = false;
  bool no_huge_pages = false;
  int precondition = 0;
  std::string ss;
  std::string ss_dur = "30s";
  std::uint64_t seed = 1;

  bool server = false;
  std::string client;
  std::string bind;
  int port = kDefaultPort;
  int streams = 4;
  std::string tcp_runtime;
  std::string server_timeout = "10min";
  std::vector<std::string> rdma_sizes;
  std::string rdma_runtime;

  std::string memory_size;
  std::string memory_runtime;
  int memory_threads = 0;

  std::string cudart;
  std::vector<std::string> gpu_sizes;
  std::string gpu_runtime;
  int gpu_device = -1;
};

struct ProbeOptions {
  bool quick = false;
  std::string output;
  std::set<std::string> sections;
  std::string import_fio;
  bool server = false;
  std::string bind;
  std::int64_t server_timeout_ns = 0;
  StorageOptions storage;
  TcpOptions tcp;
  RdmaOptions rdma;
  MemoryOptions memory;
  GpuOptions gpu;
};

// Declares every option on `app`, bound to `raw`.
void add_options(CLI::App& app, RawOptions& raw);

// Applies the quick or full defaults and parses units. Throws
// std::invalid_argument (or sim::units::UnitError) naming the option.
ProbeOptions resolve_options(const RawOptions& raw);

}  // namespace stormsim::probe

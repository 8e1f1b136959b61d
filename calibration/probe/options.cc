#include "calibration/probe/options.h"

#include <fmt/format.h>

#include <stdexcept>

#include "sim/units.h"

namespace stormsim::probe {
namespace {

// Quick: the whole probe in under a minute. Full: the matrix of the issue,
// fio-style (4 ops x 9 sizes x 9 depths, about half an hour of storage).
struct Defaults {
  const char* size;
  std::vector<std::string> block_sizes;
  std::vector<int> depths;
  const char* runtime;
  const char* ramp;
  const char* tcp_runtime;
  std::vector<std::string> rdma_sizes;
  const char* rdma_runtime;
  const char* memory_size;
  const char* memory_runtime;
  std::vector<std::string> gpu_sizes;
  const char* gpu_runtime;
};

const Defaults kQuick{"256MiB",
                      {"4KiB", "64KiB", "1MiB"},
                      {1, 32},
                      "1s",
                      "250ms",
                      "1s",
                      {"4KiB", "64KiB", "1MiB"},
                      "250ms",
                      "256MiB",
                      "250ms",
                      {"64MiB"},
                      "250ms"};

const Defaults kFull{
    "4GiB",
    {"4KiB", "8KiB", "16KiB", "32KiB", "64KiB", "128KiB", "256KiB", "512KiB", "1MiB"},
    {1, 2, 4, 8, 16, 32, 64, 128, 256},
    "5s",
    "1s",
    "5s",
    {"2B", "8B", "32B", "128B", "512B", "2KiB", "8KiB", "32KiB", "128KiB", "512KiB", "2MiB",
     "8MiB"},
    "1s",
    "1GiB",
    "1s",
    {"1MiB", "16MiB", "256MiB"},
    "1s"};

std::int64_t time_ns(const std::string& text, const char* option, bool allow_zero = false) {
  if (allow_zero && text == "0") {
    return 0;
  }
  const std::int64_t ns = sim::units::parse_time(text).ns();
  if (ns < 0 || (ns == 0 && !allow_zero)) {
    throw std::invalid_argument(fmt::format("{} must be positive, got \"{}\"", option, text));
  }
  return ns;
}

std::uint64_t bytes(const std::string& text, const char* option) {
  const double b = sim::units::parse_size(text).value();
  if (b < 1 || b != static_cast<double>(static_cast<std::uint64_t>(b))) {
    throw std::invalid_argument(
        fmt::format("{} must be a whole number of bytes >= 1, got \"{}\"", option, text));
  }
  return static_cast<std::uint64_t>(b);
}

std::vector<std::uint64_t> byte_list(const std::vector<std::string>& texts, const char* option) {
  std::vector<std::uint64_t> out;
  for (const auto& t : texts) {
    out.push_back(bytes(t, option));
  }
  return out;
}

template <typename T>
const T& pick(const T& given, const T& fallback) {
  return given.empty() ? fallback : given;
}

void resolve_storage(const RawOptions& raw, const Defaults& d, StorageOptions& s) {
  s.target.dir = raw.dir;
  s.target.file = raw.file;
  s.target.destructive = raw.destructive;
  s.target.read_only_device = raw.read_only_device;
  s.target.direct = !raw.buffered;
  s.target.size = bytes(raw.size.empty() ? d.size : raw.size, "--size");
  const std::vector<std::string> all_ops{"read", "write", "randread", "randwrite"};
  for (const auto& name : pick(raw.ops, all_ops)) {
    const auto op = parse_op(name);
    if (!op) {
      throw std::invalid_argument(fmt::format(
          "--ops: unknown operation \"{}\"; valid: read, write, randread, randwrite", name));
    }
    s.ops.push_back(*op);
  }
  for (std::uint64_t b : byte_list(pick(raw.sizes, d.block_sizes), "--sizes")) {
    if (b % 512 != 0 || b > (std::uint64_t{64} << 20)) {
      throw std::invalid_argument(fmt::format(
          "--sizes: {} bytes is not a multiple of 512 up to 64MiB (O_DIRECT needs aligned IO)", b));
    }
    s.block_sizes.push_back(static_cast<std::uint32_t>(b));
  }
  for (int depth : pick(raw.depths, d.depths)) {
    if (depth < 1 || depth > 4096) {
      throw std::invalid_argument(fmt::format("--depths: {} is not in 1..4096", depth));
    }
    s.depths.push_back(static_cast<std::uint32_t>(depth));
  }
  s.ramp_ns = time_ns(raw.ramp.empty() ? d.ramp : raw.ramp, "--ramp", true);
  s.sample_ns = time_ns(raw.sample_interval, "--sample-interval");
  s.register_buffers = !raw.no_register_buffers;
  s.register_files = !raw.no_register_files;
  s.layout = !raw.no_layout;
  s.huge_pages = !raw.no_huge_pages;
  if (raw.precondition < 0) {
    throw std::invalid_argument("--precondition must be >= 0");
  }
  s.precondition_passes = raw.precondition;
  s.seed = raw.seed;
  if (!raw.ss.empty()) {
    s.steady_state = parse_steady_state(raw.ss);
    s.ss_window_ns = time_ns(raw.ss_dur, "--ss-dur");
    if (s.ss_window_ns < 2 * s.sample_ns) {
      throw std::invalid_argument("--ss-dur must span at least two --sample-interval samples");
    }
  }
  // With a steady-state criterion the runtime is a cap: by default a long one.
  const char* runtime = s.steady_state ? "10min" : d.runtime;
  s.runtime_ns = time_ns(raw.runtime.empty() ? runtime : raw.runtime, "--runtime");
}

}  // namespace

void add_options(CLI::App& app, RawOptions& r) {
  app.add_flag("--quick", r.quick, "a short matrix: the whole probe in under a minute");
  app.add_option("-o,--output", r.output, "where to write the probe.v1 JSON ('-': stdout)")
      ->capture_default_str();
  app.add_option("--sections", r.sections, "sections to run, comma-separated (default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember(kSections));
  app.add_option("--import-fio", r.import_fio,
                 "convert fio --output-format=json output to probe.v1 and exit");

  const char* st = "Storage (io_uring)";
  app.add_option("--dir", r.dir, "directory for the probe's own file (default: a new temp dir)")
      ->group(st);
  app.add_option("--file", r.file,
                 "exact path of the probe's file; must not exist, unless --destructive or "
                 "--read-only-device (block devices)")
      ->group(st);
  app.add_flag("--destructive", r.destructive,
               "allow an existing file or block device as --file, and write to it")
      ->group(st);
  app.add_flag("--read-only-device", r.read_only_device,
               "allow a block device as --file for read and randread only")
      ->group(st);
  app.add_option("--size", r.size, "size of the file/region (quick 256MiB, full 4GiB)")->group(st);
  app.add_option("--ops", r.ops, "operations, comma-separated: read,write,randread,randwrite (all)")
      ->delimiter(',')
      ->group(st);
  app.add_option("--sizes", r.sizes, "request sizes (quick 4KiB,64KiB,1MiB; full 4KiB..1MiB)")
      ->delimiter(',')
      ->group(st);
  app.add_option("--depths", r.depths, "queue depths (quick 1,32; full 1,2,4..256)")
      ->delimiter(',')
      ->group(st);
  app.add_option("--runtime", r.runtime, "measured time per point (quick 1s, full 5s)")->group(st);
  app.add_option("--ramp", r.ramp, "unmeasured warm-up per point, or 0 (quick 250ms, full 1s)")
      ->group(st);
  app.add_option("--sample-interval", r.sample_interval, "resolution of the per-point series")
      ->capture_default_str()
      ->group(st);
  app.add_flag("--buffered", r.buffered, "no O_DIRECT (through the page cache)")->group(st);
  app.add_flag("--no-register-buffers", r.no_register_buffers,
               "do not register IO buffers with io_uring")
      ->group(st);
  app.add_flag("--no-register-files", r.no_register_files, "do not register the file with io_uring")
      ->group(st);
  app.add_flag("--no-huge-pages", r.no_huge_pages,
               "IO buffers in 4KiB pages (as fio's default) instead of transparent huge pages")
      ->group(st);
  app.add_flag("--no-layout", r.no_layout,
               "skip writing an existing --file before the sweep (its contents are already real)")
      ->group(st);
  app.add_option("--precondition", r.precondition,
                 "sequential 128KiB write passes over the file before the sweep (SNIA uses 2)")
      ->group(st);
  app.add_option("--ss", r.ss,
                 "fio steady state, e.g. iops_slope:0.3%: each point runs until it holds over "
                 "--ss-dur (--runtime then caps it; default 10min)")
      ->group(st);
  app.add_option("--ss-dur", r.ss_dur, "the steady-state window")->capture_default_str()->group(st);
  app.add_option("--seed", r.seed, "seed of the random offsets and buffer contents")
      ->capture_default_str()
      ->group(st);

  const char* net = "Network (TCP, RDMA)";
  app.add_flag("--server", r.server, "serve a --client peer (TCP, and RDMA where a device exists)")
      ->group(net);
  app.add_option("--client", r.client, "run TCP and RDMA against a --server on HOST")->group(net);
  app.add_option("--bind", r.bind, "--server's listen address (default 0.0.0.0)")->group(net);
  app.add_option("--port", r.port, "TCP port; RDMA uses the next one")
      ->capture_default_str()
      ->group(net);
  app.add_option("--streams", r.streams, "streams of the multi-stream TCP test")
      ->capture_default_str()
      ->group(net);
  app.add_option("--tcp-runtime", r.tcp_runtime, "per TCP test (quick 1s, full 5s)")->group(net);
  app.add_option("--server-timeout", r.server_timeout, "--server: how long to wait for a client")
      ->capture_default_str()
      ->group(net);
  app.add_option("--rdma-sizes", r.rdma_sizes,
                 "RDMA message sizes (quick 4KiB,64KiB,1MiB; full 2B..8MiB)")
      ->delimiter(',')
      ->group(net);
  app.add_option("--rdma-runtime", r.rdma_runtime, "per RDMA size and test (quick 250ms, full 1s)")
      ->group(net);

  const char* mem = "Memory and GPU";
  app.add_option("--memory-size", r.memory_size,
                 "copy buffer size, well above the caches (quick 256MiB, full 1GiB)")
      ->group(mem);
  app.add_option("--memory-runtime", r.memory_runtime, "per thread count (quick 250ms, full 1s)")
      ->group(mem);
  app.add_option("--memory-threads", r.memory_threads, "threads of the parallel copy (online CPUs)")
      ->group(mem);
  app.add_option("--cudart", r.cudart, "path of libcudart (default: libcudart.so*)")->group(mem);
  app.add_option("--gpu-sizes", r.gpu_sizes, "copy sizes (quick 64MiB; full 1MiB,16MiB,256MiB)")
      ->delimiter(',')
      ->group(mem);
  app.add_option("--gpu-runtime", r.gpu_runtime, "per copy cell (quick 250ms, full 1s)")
      ->group(mem);
  app.add_option("--gpu-device", r.gpu_device, "only this CUDA device (default: all)")->group(mem);

  // Values carry units, parsed by sim/units ("4KiB", "250ms").
  const std::pair<const char*, const char*> type_names[] = {{"--output", "FILE"},
                                                            {"--sections", "NAME"},
                                                            {"--import-fio", "FILE"},
                                                            {"--dir", "DIR"},
                                                            {"--file", "PATH"},
                                                            {"--size", "SIZE"},
                                                            {"--ops", "OP"},
                                                            {"--sizes", "SIZE"},
                                                            {"--depths", "N"},
                                                            {"--runtime", "TIME"},
                                                            {"--ramp", "TIME"},
                                                            {"--sample-interval", "TIME"},
                                                            {"--precondition", "PASSES"},
                                                            {"--ss", "METRIC:LIMIT[%]"},
                                                            {"--ss-dur", "TIME"},
                                                            {"--seed", "N"},
                                                            {"--client", "HOST"},
                                                            {"--bind", "ADDR"},
                                                            {"--port", "N"},
                                                            {"--streams", "N"},
                                                            {"--tcp-runtime", "TIME"},
                                                            {"--server-timeout", "TIME"},
                                                            {"--rdma-sizes", "SIZE"},
                                                            {"--rdma-runtime", "TIME"},
                                                            {"--memory-size", "SIZE"},
                                                            {"--memory-runtime", "TIME"},
                                                            {"--memory-threads", "N"},
                                                            {"--cudart", "PATH"},
                                                            {"--gpu-sizes", "SIZE"},
                                                            {"--gpu-runtime", "TIME"},
                                                            {"--gpu-device", "N"}};
  for (const auto& [name, type] : type_names) {
    app.get_option(name)->type_name(type);
  }
}

ProbeOptions resolve_options(const RawOptions& raw) {
  const Defaults& d = raw.quick ? kQuick : kFull;
  ProbeOptions o;
  o.quick = raw.quick;
  o.output = raw.output;
  o.import_fio = raw.import_fio;
  o.sections = raw.sections.empty()
                   ? std::set<std::string>(kSections.begin(), kSections.end())
                   : std::set<std::string>(raw.sections.begin(), raw.sections.end());
  if (raw.server && !raw.client.empty()) {
    throw std::invalid_argument("--server and --client exclude each other");
  }
  if (raw.port < 1 || raw.port > 65534) {
    throw std::invalid_argument(fmt::format("--port {} is not in 1..65534", raw.port));
  }
  o.server = raw.server;
  o.bind = raw.bind.empty() ? "0.0.0.0" : raw.bind;
  o.server_timeout_ns = time_ns(raw.server_timeout, "--server-timeout");
  resolve_storage(raw, d, o.storage);

  if (raw.streams < 1 || raw.streams > 256) {
    throw std::invalid_argument("--streams must be in 1..256");
  }
  o.tcp.peer = raw.client;
  o.tcp.port = raw.port;
  o.tcp.streams = raw.streams;
  o.tcp.runtime_ns = time_ns(pick(raw.tcp_runtime, std::string(d.tcp_runtime)), "--tcp-runtime");

  o.rdma.peer = raw.client;
  o.rdma.sizes = byte_list(pick(raw.rdma_sizes, d.rdma_sizes), "--rdma-sizes");
  o.rdma.runtime_ns =
      time_ns(pick(raw.rdma_runtime, std::string(d.rdma_runtime)), "--rdma-runtime");

  o.memory.buffer_bytes = bytes(pick(raw.memory_size, std::string(d.memory_size)), "--memory-size");
  o.memory.runtime_ns =
      time_ns(pick(raw.memory_runtime, std::string(d.memory_runtime)), "--memory-runtime");
  o.memory.threads = raw.memory_threads;

  o.gpu.cudart = raw.cudart;
  o.gpu.sizes = byte_list(pick(raw.gpu_sizes, d.gpu_sizes), "--gpu-sizes");
  o.gpu.runtime_ns = time_ns(pick(raw.gpu_runtime, std::string(d.gpu_runtime)), "--gpu-runtime");
  o.gpu.device = raw.gpu_device;
  return o;
}

}  // namespace stormsim::probe

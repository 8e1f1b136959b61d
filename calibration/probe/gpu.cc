#include "calibration/probe/gpu.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "calibration/probe/format.h"
#include "calibration/probe/interrupt.h"

namespace stormsim::probe {
namespace {

// The CUDA runtime API, declared by hand: cudaError_t is an int-sized enum,
// cudaMemcpyKind too (1: host to device, 2: device to host).
struct CudaRuntime {
  using GetCount = int (*)(int*);
  using SetDevice = int (*)(int);
  using Malloc = int (*)(void**, std::size_t);
  using Free = int (*)(void*);
  using Memcpy = int (*)(void*, const void*, std::size_t, int);
  using Sync = int (*)();
  using Version = int (*)(int*);
  using ErrorString = const char* (*)(int);
  using Props = int (*)(void*, int);
  using BusId = int (*)(char*, int, int);

  void* handle = nullptr;
  std::string library;
  GetCount get_device_count = nullptr;
  SetDevice set_device = nullptr;
  Malloc malloc_device = nullptr;
  Free free_device = nullptr;
  Malloc malloc_host = nullptr;
  Free free_host = nullptr;
  Memcpy memcpy = nullptr;
  Sync synchronize = nullptr;
  Version runtime_version = nullptr;
  Version driver_version = nullptr;
  ErrorString error_string = nullptr;
  Props properties = nullptr;
  BusId pci_bus_id = nullptr;

  // The library stays loaded: the CUDA runtime registers exit handlers, and
  // unloading it before they run crashes at exit.

  std::string error(int e) const {
    return error_string != nullptr ? fmt::format("{} ({})", error_string(e), e)
                                   : fmt::format("CUDA error {}", e);
  }
};

template <typename F>
bool bind(void* handle, const char* name, F& f) {
  f = reinterpret_cast<F>(::dlsym(handle, name));
  return f != nullptr;
}

std::unique_ptr<CudaRuntime> load_cudart(const std::string& explicit_path) {
  std::vector<std::string> candidates;
  if (!explicit_path.empty()) {
    candidates.push_back(explicit_path);
  } else {
    candidates = {"libcudart.so",      "libcudart.so.13",   "libcudart.so.12",
                  "libcudart.so.11.0", "libcudart.so.10.2", "libcudart.so.10.1"};
  }
  auto rt = std::make_unique<CudaRuntime>();
  for (const auto& name : candidates) {
    rt->handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (rt->handle != nullptr) {
      rt->library = name;
      break;
    }
  }
  if (rt->handle == nullptr) {
    return nullptr;
  }
  void* h = rt->handle;
  const bool ok =
      bind(h, "cudaGetDeviceCount", rt->get_device_count) &&
      bind(h, "cudaSetDevice", rt->set_device) && bind(h, "cudaMalloc", rt->malloc_device) &&
      bind(h, "cudaFree", rt->free_device) && bind(h, "cudaMallocHost", rt->malloc_host) &&
      bind(h, "cudaFreeHost", rt->free_host) && bind(h, "cudaMemcpy", rt->memcpy) &&
      bind(h, "cudaDeviceSynchronize", rt->synchronize);
  bind(h, "cudaRuntimeGetVersion", rt->runtime_version);
  bind(h, "cudaDriverGetVersion", rt->driver_version);
  bind(h, "cudaGetErrorString", rt->error_string);
  bind(h, "cudaGetDeviceProperties", rt->properties);
  bind(h, "cudaDeviceGetPCIBusId", rt->pci_bus_id);
  return ok ? std::move(rt) : nullptr;
}

std::string version_text(int v) {
  return fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}

// One (direction, memory kind, size) cell: copies back to back until
// runtime_ns has passed, after one untimed warm-up copy.
nlohmann::json copy_cell(const CudaRuntime& rt, void* device_buf, void* host_buf,
                         std::uint64_t bytes, bool h2d, bool pinned, std::int64_t runtime_ns,
                         std::string& error) {
  const int kind = h2d ? 1 : 2;
  void* dst = h2d ? device_buf : host_buf;
  const void* src = h2d ? host_buf : device_buf;
  nlohmann::json j{{"direction", h2d ? "h2d" : "d2h"},
                   {"memory", pinned ? "pinned" : "pageable"},
                   {"bytes", bytes}};
  if (const int e = rt.memcpy(dst, src, bytes, kind); e != 0) {
    error = "cudaMemcpy: " + rt.error(e);
    return j;
  }
  rt.synchronize();
  std::uint64_t copies = 0;
  const std::int64_t t0 = now_ns();
  std::int64_t t = t0;
  while ((t - t0 < runtime_ns || copies == 0) && !interrupted()) {
    if (const int e = rt.memcpy(dst, src, bytes, kind); e != 0) {
      error = "cudaMemcpy: " + rt.error(e);
      return j;
    }
    ++copies;
    t = now_ns();
  }
  rt.synchronize();
  t = now_ns();
  j["copies"] = copies;
  j["runtime_ns"] = t - t0;
  j["bw_bytes"] = static_cast<double>(bytes * copies) / to_seconds(t - t0);
  return j;
}

nlohmann::json device_copies(const CudaRuntime& rt, int device, const GpuOptions& o,
                             Reporter& report, std::string& error) {
  nlohmann::json d{{"index", device}};
  if (rt.properties != nullptr) {
    // cudaDeviceProp starts with char name[256]; the struct grows between
    // versions, so it gets far more room than any version needs.
    std::vector<char> props(64 << 10, 0);
    if (rt.properties(props.data(), device) == 0) {
      d["name"] = std::string(props.data(), strnlen(props.data(), 256));
    }
  }
  if (rt.pci_bus_id != nullptr) {
    char bus[64] = {};
    if (rt.pci_bus_id(bus, sizeof bus, device) == 0) {
      d["pci_bus_id"] = bus;
    }
  }
  if (const int e = rt.set_device(device); e != 0) {
    error = "cudaSetDevice: " + rt.error(e);
    return d;
  }
  std::uint64_t largest = 0;
  for (auto s : o.sizes) {
    largest = std::max(largest, s);
  }
  void* device_buf = nullptr;
  void* pinned = nullptr;
  if (const int e = rt.malloc_device(&device_buf, largest); e != 0) {
    error = "cudaMalloc: " + rt.error(e);
    return d;
  }
  if (const int e = rt.malloc_host(&pinned, largest); e != 0) {
    rt.free_device(device_buf);
    error = "cudaMallocHost: " + rt.error(e);
    return d;
  }
  std::unique_ptr<char[]> pageable(new char[largest]);
  std::memset(pageable.get(), 1, largest);
  std::memset(pinned, 1, largest);
  nlohmann::json copies = nlohmann::json::array();
  for (std::uint64_t bytes : o.sizes) {
    for (bool is_pinned : {true, false}) {
      for (bool h2d : {true, false}) {
        if (!error.empty() || interrupted()) {
          break;
        }
        void* host = is_pinned ? pinned : pageable.get();
        nlohmann::json c =
            copy_cell(rt, device_buf, host, bytes, h2d, is_pinned, o.runtime_ns, error);
        if (error.empty()) {
          report.line("gpu", fmt::format("device {} {} {} {}: {}", device, h2d ? "h2d" : "d2h",
                                         is_pinned ? "pinned" : "pageable", size_text(bytes),
                                         rate_text(c["bw_bytes"].get<double>())));
        }
        copies.push_back(std::move(c));
      }
    }
  }
  rt.free_host(pinned);
  rt.free_device(device_buf);
  d["copies"] = std::move(copies);
  return d;
}

}  // namespace

nlohmann::json run_gpu(const GpuOptions& o, Reporter& report) {
  const std::unique_ptr<CudaRuntime> rt = load_cudart(o.cudart);
  if (!rt) {
    report.line("gpu", "skipped: no CUDA runtime");
    return section_status(status::kSkipped, "no CUDA runtime");
  }
  int count = 0;
  if (const int e = rt->get_device_count(&count); e != 0 || count == 0) {
    const std::string m = e != 0
                              ? fmt::format("no CUDA device (cudaGetDeviceCount: {})", rt->error(e))
                              : "no CUDA device";
    report.line("gpu", "skipped: " + m);
    nlohmann::json s = section_status(status::kSkipped, m);
    s["library"] = rt->library;
    return s;
  }
  nlohmann::json section = section_status(status::kOk);
  section["library"] = rt->library;
  int v = 0;
  if (rt->runtime_version != nullptr && rt->runtime_version(&v) == 0) {
    section["runtime_version"] = version_text(v);
  }
  if (rt->driver_version != nullptr && rt->driver_version(&v) == 0) {
    section["driver_version"] = version_text(v);
  }
  nlohmann::json devices = nlohmann::json::array();
  std::string error;
  for (int dev = 0; dev < count; ++dev) {
    if (o.device >= 0 && dev != o.device) {
      continue;
    }
    devices.push_back(device_copies(*rt, dev, o, report, error));
    if (!error.empty() || interrupted()) {
      break;
    }
  }
  section["devices"] = std::move(devices);
  if (interrupted()) {
    section["status"] = status::kInterrupted;
  } else if (!error.empty()) {
    report.line("gpu", "error: " + error);
    section["status"] = status::kError;
    section["message"] = error;
  }
  return section;
}

}  // namespace stormsim::probe

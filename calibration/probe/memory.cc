#include "calibration/probe/memory.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "calibration/probe/format.h"
#include "calibration/probe/interrupt.h"

namespace stormsim::probe {
namespace {

struct Mapping {
  explicit Mapping(std::size_t n) : size(n) {
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  }
  ~Mapping() {
    if (data != nullptr) {
      ::munmap(data, size);
    }
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  std::size_t size;
  char* data;
};

// Each thread copies its own slice of src into dst, over and over, until the
// deadline; all start together. Pages are touched beforehand, so no page
// fault is timed.
nlohmann::json copy_test(const Mapping& src, const Mapping& dst, int threads,
                         std::int64_t runtime_ns) {
  const std::size_t slice = (src.size / static_cast<std::size_t>(threads)) & ~std::size_t{4095};
  std::vector<std::uint64_t> copied(static_cast<std::size_t>(threads), 0);
  std::vector<std::int64_t> finished(static_cast<std::size_t>(threads), 0);
  std::atomic<int> ready{0};
  std::atomic<std::int64_t> start{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const auto i = static_cast<std::size_t>(t);
      char* d = dst.data + i * slice;
      const char* s = src.data + i * slice;
      ready.fetch_add(1);
      while (start.load() == 0) {
        std::this_thread::yield();
      }
      const std::int64_t deadline = start.load() + runtime_ns;
      std::int64_t now = now_ns();
      while (now < deadline && !interrupted()) {
        std::memcpy(d, s, slice);
        // Keeps the copy from being optimised away.
        asm volatile("" : : "r"(d) : "memory");
        copied[i] += slice;
        now = now_ns();
      }
      finished[i] = now;
    });
  }
  while (ready.load() < threads) {
    std::this_thread::yield();
  }
  const std::int64_t t0 = now_ns();
  start.store(t0);
  for (auto& t : pool) {
    t.join();
  }
  std::uint64_t bytes = 0;
  std::int64_t end = t0;
  for (int t = 0; t < threads; ++t) {
    bytes += copied[static_cast<std::size_t>(t)];
    end = std::max(end, finished[static_cast<std::size_t>(t)]);
  }
  const double secs = to_seconds(end - t0);
  const double bw = secs > 0 ? static_cast<double>(bytes) / secs : 0.0;
  return {{"threads", threads},
          {"bytes", bytes},
          {"runtime_ns", end - t0},
          {"bw_bytes", bw},
          {"stream_bw_bytes", 2 * bw}};
}

}  // namespace

nlohmann::json run_memory(const MemoryOptions& o, Reporter& report) {
  const int cpus = std::max(1, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
  const int parallel = o.threads > 0 ? o.threads : cpus;
  Mapping src(o.buffer_bytes), dst(o.buffer_bytes);
  if (src.data == nullptr || dst.data == nullptr) {
    const std::string m =
        fmt::format("cannot map 2 x {} for the copy test", size_text(o.buffer_bytes));
    report.line("memory", "error: " + m);
    return section_status(status::kError, m);
  }
  std::memset(src.data, 0x5a, src.size);
  std::memset(dst.data, 0, dst.size);
  nlohmann::json section = section_status(status::kOk);
  section["buffer_bytes"] = o.buffer_bytes;
  nlohmann::json copies = nlohmann::json::array();
  std::vector<int> counts{1};
  if (parallel > 1) {
    counts.push_back(parallel);
  }
  for (int threads : counts) {
    if (interrupted()) {
      break;
    }
    nlohmann::json c = copy_test(src, dst, threads, o.runtime_ns);
    report.line("memory", fmt::format("copy, {} thread{}: {}", threads, threads == 1 ? "" : "s",
                                      rate_text(c["bw_bytes"].get<double>())));
    copies.push_back(std::move(c));
  }
  section["copy"] = std::move(copies);
  if (interrupted()) {
    section["status"] = status::kInterrupted;
  }
  return section;
}

}  // namespace stormsim::probe

// The workload both simulators run, in plain numbers so that the SimGrid side
// needs nothing from stormsim: N GPU servers stream checkpoints to N/16
// storage servers through a 2:1 oversubscribed backbone.
//
// Writer i sends chunk j (j = 0..63) of its 10 GB to storage server
// (i + j) mod S, four chunks in flight: whenever one lands, the next starts.
// Every chunk crosses three hops, GPU NIC (upload) -> backbone -> storage NIC
// (download), each with the same latency, and then shares bandwidth max-min
// fairly with every other chunk in flight.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace stormsim::bench::fabric {

// The platform of the benchmark's specification (the issue asking for it):
// 200 Gb/s per GPU server, 400 Gb/s per storage server.
constexpr double kGpuNicBytesPerSec = 25e9;
constexpr double kStorageNicBytesPerSec = 50e9;
constexpr double kOversubscription = 2.0;  // backbone carries half the GPU NICs' sum
constexpr std::uint32_t kGpusPerStorageServer = 16;
constexpr double kBytesPerWriter = 10e9;  // decimal GB
constexpr std::uint32_t kChunks = 64;
constexpr std::uint32_t kInFlight = 4;
constexpr std::uint64_t kChunkBytes = 156'250'000;  // 10e9 / 64, exact
static_assert(kChunkBytes * kChunks == static_cast<std::uint64_t>(kBytesPerWriter));
constexpr std::uint32_t kHops = 3;
constexpr std::int64_t kHopLatencyNs = 1'000;  // a switch port and a meter of cable

inline double backbone_bytes_per_sec(std::uint32_t n) {
  return n * kGpuNicBytesPerSec / kOversubscription;
}
inline std::uint32_t storage_servers(std::uint32_t n) {
  return n / kGpusPerStorageServer;
}
// Writer i's chunk j lands on this storage server.
inline std::uint32_t destination(std::uint32_t n, std::uint32_t writer, std::uint32_t chunk) {
  return (writer + chunk) % storage_servers(n);
}

// The completion time worked out by hand. Every writer starts its chunks at
// the same instants, so at any moment writer i has chunks j..j+3 in flight,
// bound for servers i+j..i+j+3 (mod S): each storage server receives 16 * 4 =
// 64 flows, each GPU NIC sends 4, the backbone carries 4N. The fair share is
// the smallest of 25/4 GB/s (GPU NIC), (N * 25/2) / 4N = 3.125 GB/s
// (backbone) and 50/64 = 0.78125 GB/s (storage NIC): the storage NICs are the
// bottleneck, every flow gets 0.78125 GB/s, and every chunk of a wave lands
// at once, 156.25 MB / 0.78125 GB/s = 0.2 s after its latency. Sixteen waves
// of 3 us + 0.2 s make 3.200048 s whatever N is.
inline double closed_form_seconds(std::uint32_t n) {
  const double flows_per_storage_nic = 1.0 * kGpusPerStorageServer * kInFlight;
  const double share =
      std::min({kGpuNicBytesPerSec / kInFlight, backbone_bytes_per_sec(n) / (1.0 * kInFlight * n),
                kStorageNicBytesPerSec / flows_per_storage_nic});
  const double wave = kHops * kHopLatencyNs * 1e-9 + static_cast<double>(kChunkBytes) / share;
  return (kChunks / kInFlight) * wave;
}

// The one argument both binaries take: N, a positive multiple of 16.
inline std::uint32_t parse_gpu_count(int argc, char** argv) {
  if (argc != 2)
    throw std::invalid_argument("usage: " + std::string(argv[0]) +
                                " N   (GPU servers, a positive multiple of 16)");
  std::size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(argv[1], &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != std::string(argv[1]).size() || n == 0 || n % kGpusPerStorageServer != 0 ||
      n > (1ul << 24))
    throw std::invalid_argument("N = `" + std::string(argv[1]) +
                                "`: expected a multiple of 16 between 16 and 16777216");
  return static_cast<std::uint32_t>(n);
}

}  // namespace stormsim::bench::fabric

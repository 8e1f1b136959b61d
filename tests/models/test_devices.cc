// The device models against closed forms: a stream's rate is the minimum of
// the NIC, PCIe and drive limits on its path; the write cliff comes after
// exactly the cache; a TCP client with too little CPU is CPU-bound and the
// result says so; payload efficiencies; GPU copies; binding errors.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "models/devices/gpu.h"
#include "models/devices/host.h"
#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/devices/pcie.h"
#include "models/simulation.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "topologies/pcie.h"

using namespace stormsim;
using models::Simulation;
using sim::config::load_string;

namespace {

// One GPU server and one storage server on one leaf and spine; `storage` and
// `gpu` are extra server template keys, `components` the component list.
std::string scenario(const std::string& storage, const std::string& components,
                     const std::string& gpu = "") {
  return fmt::format(
      "name: devices\nduration: 1000s\n"
      "topology:\n"
      "  gpu_servers: {{count: 1{}}}\n"
      "  storage_servers: {{count: 1{}}}\n"
      "  fabric: {{generator: leaf_spine, servers_per_leaf: 1, storage_servers_per_leaf: 1, "
      "spines: 1}}\n"
      "components:\n{}",
      gpu, storage, components);
}

template <typename T>
T& component(Simulation& s) {
  for (const auto& c : s.components()) {
    if (auto* t = dynamic_cast<T*>(c.get()))
      return *t;
  }
  FAIL("no such component");
  throw;
}

struct Timing {
  sim::Time start, end;
};

// The one-request latency a stream pays before its bytes flow: the drive's
// unloaded latency for the request size plus the route's link latencies
// (and the NIC's RDMA message overhead when it crosses the fabric).
double first_byte_s(Simulation& s, models::Nvme& nvme, topo::Vertex src, topo::Vertex drive,
                    bool rdma) {
  const topo::Route r = s.cluster()->topology().route(src, drive, 1);
  return nvme.profile()
             .curve(models::devices::IoOp::kWrite)
             .unloaded_latency(sim::Bytes(1 << 20))
             .seconds() +
         r.latency.seconds() + (rdma ? 1e-6 : 0.0);
}

sim::Task<void> write_stream(models::Nvme& nvme, topo::Vertex src, std::uint32_t drive,
                             sim::Bytes bytes, sim::Engine& e, Timing& t) {
  t.start = e.now();
  co_await nvme.write_from(src, drive, bytes);
  t.end = e.now();
}

// Streams `bytes` from the GPU server's memory onto the storage server's
// first drive and returns the achieved rate.
double stream_rate(Simulation& s, double bytes, bool rdma = true) {
  models::Cluster& c = *s.cluster();
  auto& nvme = component<models::Nvme>(s);
  const topo::Vertex mem = c.memory_of(0);
  const topo::Vertex drive = c.topology().find("storage-0/nvme0");
  auto [model, index] = c.nvme(drive);
  REQUIRE(model == &nvme);
  Timing t;
  s.engine().spawn(write_stream(nvme, mem, index, sim::Bytes(bytes), s.engine(), t));
  s.run();
  REQUIRE(t.end > t.start);
  return bytes / ((t.end - t.start).seconds() - first_byte_s(s, nvme, mem, drive, rdma));
}

const double kRdmaJumbo = 4096.0 / (4096 + 44 + 38);  // RoCEv2 at MTU 9000
const double kPcie256 = 256.0 / (256 + 24);           // PCIe TLPs of 256 B

}  // namespace

TEST_CASE("payload efficiencies have their closed forms", "[models][devices]") {
  using models::Nic;
  using models::Transport;
  CHECK(Nic::payload_efficiency(Transport::kTcp, 1500) == Approx(1448.0 / 1538.0));
  CHECK(Nic::payload_efficiency(Transport::kTcp, 9000) == Approx(8948.0 / 9038.0));
  CHECK(Nic::payload_efficiency(Transport::kRdma, 9000) == Approx(kRdmaJumbo));
  CHECK(Nic::payload_efficiency(Transport::kRdma, 1500) == Approx(1024.0 / (1024 + 82)));
  CHECK(models::Pcie::payload_efficiency(256, 24) == Approx(kPcie256));
}

TEST_CASE("one client writing to one NVMe over RDMA gets min(NIC, PCIe, drive)",
          "[models][devices]") {
  const double bytes = 40e9;
  SECTION("the drive's media is the limit") {
    Simulation s(load_string(scenario("", "  - {name: d, type: nvme, write_bandwidth: 6GB/s}\n"),
                             "drive.yaml"));
    CHECK(stream_rate(s, bytes) == Approx(6e9).epsilon(1e-8));
    CHECK(s.metrics()["cluster"]["bottlenecks"][0]["constraint"] == "storage-0/nvme0.media.write");
  }
  SECTION("the drive's PCIe Gen4 x4 link is the limit") {
    Simulation s(load_string(scenario("", "  - {name: d, type: nvme, write_bandwidth: 20GB/s}\n"),
                             "pcie.yaml"));
    const double pcie = topo::pcie_rate(4, 4).value() * kPcie256;
    CHECK(stream_rate(s, bytes) == Approx(pcie).epsilon(1e-8));
    const std::string first = s.metrics()["cluster"]["bottlenecks"][0]["constraint"];
    CHECK(first.find("nvme0") != std::string::npos);
    CHECK(first.find("media") == std::string::npos);
  }
  SECTION("the storage NIC is the limit") {
    Simulation s(load_string(
        scenario(", nic_rate: 40Gbps", "  - {name: d, type: nvme, write_bandwidth: 20GB/s}\n"),
        "nic.yaml"));
    CHECK(stream_rate(s, bytes) == Approx(5e9 * kRdmaJumbo).epsilon(1e-8));
  }
}

TEST_CASE("the write cliff comes after exactly the cache capacity", "[models][devices]") {
  Simulation s(load_string(
      scenario("",
               "  - {name: d, type: nvme, on: [storage_drives], write_bandwidth: 5GB/s, "
               "write_cache: 10GB, steady_write_bandwidth: 1GB/s}\n"),
      "cliff.yaml"));
  models::Cluster& c = *s.cluster();
  auto& nvme = component<models::Nvme>(s);
  // Written from the storage server's own memory: no network in the way.
  const topo::Vertex mem = c.memory_of(1);
  const topo::Vertex drive = c.topology().find("storage-0/nvme0");
  const std::uint32_t i = c.nvme(drive).second;
  Timing t;
  s.engine().spawn(write_stream(nvme, mem, i, sim::Bytes(20e9), s.engine(), t));
  s.run();
  REQUIRE(nvme.past_cliff(i));
  // After the first request's latency, 10 GB at 5 GB/s, then 10 GB at 1 GB/s.
  const double first = first_byte_s(s, nvme, mem, drive, false);
  CHECK((nvme.cliff_time(i) - t.start).seconds() - first == Approx(2.0).epsilon(1e-8));
  CHECK((t.end - t.start).seconds() - first == Approx(12.0).epsilon(1e-8));
  CHECK(nvme.written(i).value() == Approx(20e9).epsilon(1e-9));
  CHECK(s.metrics()["d"]["past_write_cliff"] == 1);
}

TEST_CASE("a cliff while the writer is slower than the media still comes at the cache size",
          "[models][devices]") {
  // The stream is capped by a 40 Gb/s NIC (about 4.9 GB/s of payload) below
  // the media's 6 GB/s, so the watcher's first guess is early.
  Simulation s(load_string(scenario(", nic_rate: 40Gbps",
                                    "  - {name: d, type: nvme, on: [storage_drives], "
                                    "write_bandwidth: 6GB/s, write_cache: 10GB, "
                                    "steady_write_bandwidth: 1GB/s}\n"),
                           "cliff2.yaml"));
  auto& nvme = component<models::Nvme>(s);
  models::Cluster& c = *s.cluster();
  const topo::Vertex mem = c.memory_of(0);
  const topo::Vertex drive = c.topology().find("storage-0/nvme0");
  const std::uint32_t i = c.nvme(drive).second;
  Timing t;
  s.engine().spawn(write_stream(nvme, mem, i, sim::Bytes(12e9), s.engine(), t));
  s.run();
  const double rate = 5e9 * kRdmaJumbo;
  REQUIRE(nvme.past_cliff(i));
  const double before =
      (nvme.cliff_time(i) - t.start).seconds() - first_byte_s(s, nvme, mem, drive, true);
  CHECK(before * rate == Approx(10e9).epsilon(1e-8));
  CHECK((t.end - nvme.cliff_time(i)).seconds() == Approx(2.0).epsilon(1e-8));
}

TEST_CASE("a TCP client short of CPU is CPU-bound and the result names its CPU",
          "[models][devices]") {
  // 2 cores x 1 GB/s of TCP per core: 2 GB/s, far below the 25 GB/s NIC.
  const auto components = [](const char* transport, int connections) {
    return fmt::format(
        "  - {{name: d, type: nvme, write_bandwidth: 20GB/s}}\n"
        "  - {{name: n, type: nic, transport: {}, connections: {}}}\n"
        "  - {{name: h, type: host, cores: 2, tcp_rate: 1GB/s}}\n",
        transport, connections);
  };
  SECTION("four connections share the two cores") {
    Simulation s(load_string(scenario("", components("tcp", 4)), "tcp.yaml"));
    CHECK(stream_rate(s, 20e9, false) == Approx(2e9).epsilon(1e-8));
    const std::string first = s.metrics()["cluster"]["bottlenecks"][0]["constraint"];
    CHECK(first.find("/cpu.tcp") != std::string::npos);
  }
  SECTION("one connection runs on one core") {
    Simulation s(load_string(scenario("", components("tcp", 1)), "tcp1.yaml"));
    CHECK(stream_rate(s, 20e9, false) == Approx(1e9).epsilon(1e-8));
  }
  SECTION("over RDMA the same host is not in the way") {
    Simulation s(load_string(scenario("", components("rdma", 4)), "rdma.yaml"));
    const double pcie = topo::pcie_rate(4, 4).value() * kPcie256;
    CHECK(stream_rate(s, 20e9) == Approx(pcie).epsilon(1e-8));
  }
}

sim::Task<void> copy(models::Gpu& gpu, sim::Bytes bytes, bool pinned, sim::Engine& e, Timing& t) {
  t.start = e.now();
  co_await gpu.copy_to_host(0, bytes, pinned);
  t.end = e.now();
}

TEST_CASE("GPU-to-host copies go at the copy engine's rate", "[models][devices]") {
  Simulation s(load_string(
      scenario("", "  - {name: g, type: gpu, pinned_rate: 40GB/s, pageable_rate: 10GB/s}\n"),
      "gpu.yaml"));
  auto& gpu = component<models::Gpu>(s);
  Timing pinned, pageable;
  s.engine().spawn(copy(gpu, sim::Bytes(40e9), true, s.engine(), pinned));
  s.run();
  CHECK((pinned.end - pinned.start).seconds() == Approx(1.0).epsilon(1e-6));
  Simulation s2(load_string(
      scenario("", "  - {name: g, type: gpu, pinned_rate: 40GB/s, pageable_rate: 10GB/s}\n"),
      "gpu.yaml"));
  s2.engine().spawn(
      copy(component<models::Gpu>(s2), sim::Bytes(40e9), false, s2.engine(), pageable));
  s2.run();
  CHECK((pageable.end - pageable.start).seconds() == Approx(4.0).epsilon(1e-6));
}

TEST_CASE("unclaimed devices get implicit default models", "[models][devices]") {
  Simulation s(load_string(scenario("", "  - {name: d, type: nvme, on: [storage_drives]}\n"),
                           "implicit.yaml"));
  const auto in = s.inputs()["components"];
  std::vector<std::string> names;
  for (const auto& c : in)
    names.push_back(c["name"]);
  // The GPU server's own drives, its NICs, GPUs, hosts and PCIe get defaults.
  CHECK(names == std::vector<std::string>{"d", "pcie", "nic", "nvme", "gpu", "host"});
  models::Cluster& c = *s.cluster();
  CHECK(c.nvme(c.topology().find("storage-0/nvme3")).first->name() == "d");
  CHECK(c.nvme(c.topology().find("gpu-server-0/nvme3")).first->name() == "nvme");
}

TEST_CASE("device binding errors name the key", "[models][devices]") {
  const auto error = [](const std::string& yaml) {
    try {
      Simulation s(load_string(yaml, "bad.yaml"));
    } catch (const sim::config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error(scenario("", "  - {name: d, type: nvme, on: [storage_drivez]}\n")),
             Catch::Contains("bad.yaml") && Catch::Contains("components.d.on") &&
                 Catch::Contains("did you mean `storage_drives`"));
  CHECK_THAT(error(scenario("", "  - {name: d, type: nvme, on: [gpus]}\n")),
             Catch::Contains("holds no drive"));
  CHECK_THAT(error(scenario("", "  - {name: d, type: nvme, on: [storage-0/nic0]}\n")),
             Catch::Contains("is a NIC, not a drive"));
  CHECK_THAT(error(scenario("",
                            "  - {name: a, type: nvme, on: [storage_drives]}\n"
                            "  - {name: b, type: nvme, on: [storage-0/nvme1]}\n")),
             Catch::Contains("already has a model: component `a`"));
  CHECK_THAT(error("name: x\ncomponents:\n  - {name: d, type: nvme}\n"),
             Catch::Contains("needs a `topology:`"));
  CHECK_THAT(error(scenario("",
                            "  - {name: d, type: nvme, write_cache: 1GB, "
                            "steady_write_bandwidth: 9GB/s}\n")),
             Catch::Contains("steady_write_bandwidth"));
  CHECK_THAT(error("name: x\ntopology: no/such.yaml\ncomponents: []\n"),
             Catch::Contains("no topology file `no/such.yaml`"));
}

// The replication schemes against closed forms: 3-way chain and quorum
// replication triple the network and drive bytes, erasure coding k+m
// multiplies them by (k+m)/k; a chain's small-write latency is the sum of its
// forwarding delays, the tail's write and the acks back, derived hop by hop
// from the topology's route latencies, the NIC's RDMA message overhead and
// the drive's unloaded latency; a quorum write returns at its W-th write;
// impossible combinations are config errors.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/registry.h"
#include "models/simulation.h"
#include "models/storage/replication.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "tests/storage/closed_form.h"

namespace {

using stormsim::models::test::latency_s;
using stormsim::models::test::one_copy_write_s;
using stormsim::models::test::overhead_s;
using stormsim::models::test::path_rate;

using stormsim::models::Cluster;
using stormsim::models::ComponentContext;
using stormsim::models::IoShape;
using stormsim::models::Simulation;
using stormsim::models::storage::Client;
using stormsim::models::storage::FileId;
using stormsim::models::storage::Protection;
using stormsim::models::storage::Scheme;
using stormsim::models::storage::StorageService;
using stormsim::models::storage::Target;
using stormsim::sim::Bytes;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::config::load_string;
namespace topo = stormsim::topo;
namespace config = stormsim::sim::config;

constexpr double kMiB = 1024.0 * 1024.0;

// A service that does nothing but hold servers, drives and a protection
// scheme, so the tests drive protected_write/read directly.
class ReplicationProbe : public StorageService {
 public:
  static config::ModelSpec spec() {
    config::ModelSpec s{"replication_probe", "test-only: a protection scheme over servers", {}};
    add_common_params(s.params);
    stormsim::models::storage::add_protection_params(s.params, "chain");
    return s;
  }
  explicit ReplicationProbe(const ComponentContext& ctx)
      : StorageService(ctx), protection(stormsim::models::storage::read_protection(ctx.params)) {}

  Task<FileId> create(const Client&, std::string) override { co_return 0; }
  Task<FileId> open(const Client&, std::string) override { co_return 0; }
  Task<void> write(const Client&, FileId, Bytes, Bytes) override { co_return; }
  Task<void> read(const Client&, FileId, Bytes, Bytes) override { co_return; }
  Task<void> fsync(const Client&, FileId) override { co_return; }
  Task<void> close(const Client&, FileId) override { co_return; }
  Task<void> remove(const Client&, std::string) override { co_return; }
  Task<std::vector<std::string>> list(const Client&, std::string) override {
    co_return std::vector<std::string>{};
  }
  std::string describe() const override { return protection.describe(); }
  double storage_amplification() const override { return protection.amplification(); }

  // Drive `d` of service server `s`.
  Target target(std::size_t s, std::size_t d) const { return {s, drives_of(s).drives.at(d)}; }

  Protection protection;
};

STORMSIM_REGISTER_MODEL(ReplicationProbe);

// The dev topology and a probe over storage-0, storage-1, gpu-server-2 and
// gpu-server-3 (the client runs on gpu-server-0), with `params` and any
// `extra` components.
std::unique_ptr<Simulation> make(const std::string& params, const std::string& extra = "") {
  const std::string text = fmt::format(
      "name: rep\nseed: 1\nduration: 1000s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: svc, type: replication_probe, servers: [storage-0, storage-1, gpu-server-2, "
      "gpu-server-3]{}{}}}\n{}",
      STORMSIM_SOURCE_DIR, params.empty() ? "" : ", ", params, extra);
  return std::make_unique<Simulation>(load_string(text, "rep_test.yaml"));
}

ReplicationProbe& probe(Simulation& sim) {
  for (const auto& c : sim.components()) {
    if (auto* s = dynamic_cast<ReplicationProbe*>(c.get()))
      return *s;
  }
  throw std::logic_error("no probe");
}

topo::Vertex client_memory(Simulation& sim) {
  const auto& servers = sim.cluster()->topology().servers();
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    if (servers[s].name == "gpu-server-0")
      return sim.cluster()->memory_of(s);
  }
  throw std::logic_error("no gpu-server-0");
}

struct Timed {
  Time end{};
};

Task<void> timed_write(StorageService& svc, Protection p, topo::Vertex src,
                       std::vector<Target> targets, Bytes bytes, IoShape shape, Timed& t) {
  co_await stormsim::models::storage::protected_write(svc, p, src, std::move(targets), bytes,
                                                      shape);
  t.end = svc.cluster().engine().now();
}

Task<void> timed_read(StorageService& svc, Protection p, topo::Vertex dst,
                      std::vector<Target> targets, Bytes bytes, Timed& t) {
  co_await stormsim::models::storage::protected_read(svc, p, dst, std::move(targets), bytes);
  t.end = svc.cluster().engine().now();
}

// Targets for `n` copies or fragments: round-robin over the probe's first
// `servers` servers, drive index advancing each round.
std::vector<Target> spread(const ReplicationProbe& svc, int n, std::size_t servers) {
  std::vector<Target> out;
  for (int i = 0; i < n; ++i)
    out.push_back(
        svc.target(static_cast<std::size_t>(i) % servers, static_cast<std::size_t>(i) / servers));
  return out;
}

// The probe's index of the server named `name`.
std::size_t index_of(const StorageService& svc, const std::string& name) {
  const auto& servers = svc.cluster().topology().servers();
  for (std::size_t i = 0; i < svc.servers().size(); ++i) {
    if (servers[svc.servers()[i]].name == name)
      return i;
  }
  throw std::logic_error("no server " + name);
}

// ---- the closed form of a chain write, hop by hop ----

// Chain write of `bytes` as one request of that size at queue depth 1:
//   hop i (from f_i = client, then the memory of target i-1's server, to
//   drive d_i) starts at S_i = sum_{j<i} (lat(f_j, mem_j) + o) and ends at
//   S_i + lat(f_i, d_i) + o + drive latency(bytes) + bytes / rate_i;
//   then N acks of 256 B: lat + o + 256 / rate, tail to head to client.
double chain_closed_form(Cluster& c, topo::Vertex client, const std::vector<Target>& targets,
                         const std::vector<topo::Vertex>& memories, double bytes) {
  double start = 0, end = 0;
  topo::Vertex from = client;
  const IoShape shape{Bytes(bytes), 1, false};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    end = std::max(end, start + one_copy_write_s(c, from, targets[i], bytes, shape));
    start += latency_s(c, from, memories[i]) + overhead_s(c, from, memories[i]);
    from = memories[i];
  }
  for (std::size_t i = targets.size(); i-- > 0;) {
    const topo::Vertex to = i == 0 ? client : memories[i - 1];
    end += latency_s(c, memories[i], to) + overhead_s(c, memories[i], to) +
           256.0 / path_rate(c, memories[i], to);
  }
  return end;
}

}  // namespace

TEST_CASE("3-way replication triples network and drive bytes", "[storage][replication]") {
  for (const char* scheme : {"chain", "quorum"}) {
    DYNAMIC_SECTION(scheme) {
      auto sim = make(fmt::format("protection: {}, replicas: 3, write_quorum: 2", scheme));
      ReplicationProbe& svc = probe(*sim);
      REQUIRE(svc.protection.targets() == 3);
      CHECK(svc.protection.amplification() == 3.0);
      Timed t;
      sim->engine().spawn(timed_write(svc, svc.protection, client_memory(*sim), spread(svc, 3, 3),
                                      Bytes(64 * kMiB), {}, t));
      sim->run();
      const double written = 64 * kMiB;
      // The probe counts no logical bytes itself: compare with the raw sums.
      CHECK(sim->metrics()["svc"]["network_bytes"].get<double>() == Approx(3 * written));
      CHECK(sim->metrics()["svc"]["drive_written_bytes"].get<double>() == Approx(3 * written));
    }
  }
}

TEST_CASE("erasure coding k+m multiplies network and drive bytes by (k+m)/k",
          "[storage][replication]") {
  for (auto [k, m] : {std::pair{8, 3}, std::pair{4, 2}}) {
    DYNAMIC_SECTION("EC " << k << "+" << m) {
      auto sim = make(fmt::format("protection: erasure, ec_data: {}, ec_parity: {}", k, m));
      ReplicationProbe& svc = probe(*sim);
      CHECK(svc.protection.describe() == fmt::format("EC {}+{}", k, m));
      CHECK(svc.protection.tolerated_failures() == m);
      const double ratio = static_cast<double>(k + m) / k;
      CHECK(svc.protection.amplification() == Approx(ratio));
      Timed t;
      const double written = 96 * kMiB;
      // Fragments over both storage servers, never on the client's server.
      sim->engine().spawn(timed_write(svc, svc.protection, client_memory(*sim),
                                      spread(svc, k + m, 2), Bytes(written), {}, t));
      sim->run();
      CHECK(sim->metrics()["svc"]["network_bytes"].get<double>() == Approx(ratio * written));
      CHECK(sim->metrics()["svc"]["drive_written_bytes"].get<double>() == Approx(ratio * written));

      // Reading back fetches the k data fragments only: 1 x.
      auto sim2 = make(fmt::format("protection: erasure, ec_data: {}, ec_parity: {}", k, m));
      ReplicationProbe& svc2 = probe(*sim2);
      Timed r;
      sim2->engine().spawn(timed_read(svc2, svc2.protection, client_memory(*sim2),
                                      spread(svc2, k + m, 2), Bytes(written), r));
      sim2->run();
      CHECK(sim2->metrics()["svc"]["drive_read_bytes"].get<double>() == Approx(written));
    }
  }
}

TEST_CASE("chain write latency grows with chain length as the hops predict",
          "[storage][replication]") {
  const double bytes = 4096;
  for (int n = 1; n <= 4; ++n) {
    DYNAMIC_SECTION("chain of " << n) {
      auto sim = make(fmt::format("protection: chain, replicas: {}", n));
      ReplicationProbe& svc = probe(*sim);
      Cluster& c = *sim->cluster();
      // Head on storage-0, then storage-1, gpu-server-2, gpu-server-3.
      std::vector<Target> targets;
      for (const char* server : {"storage-0", "storage-1", "gpu-server-2", "gpu-server-3"}) {
        if (targets.size() < static_cast<std::size_t>(n))
          targets.push_back(svc.target(index_of(svc, server), 0));
      }
      std::vector<topo::Vertex> memories;
      for (const Target& t : targets)
        memories.push_back(svc.drives_of(t.server).memory);
      const topo::Vertex client = client_memory(*sim);
      const double expected = chain_closed_form(c, client, targets, memories, bytes);
      Timed t;
      sim->engine().spawn(timed_write(svc, svc.protection, client, targets, Bytes(bytes),
                                      IoShape{Bytes(bytes), 1, false}, t));
      sim->run();
      INFO("n = " << n << ": expected " << expected * 1e9 << " ns");
      CHECK(t.end.seconds() == Approx(expected).margin(5e-9));
      CHECK(sim->metrics()["svc"]["drive_written_bytes"].get<double>() == Approx(n * bytes));
    }
  }
}

TEST_CASE("a quorum write returns at its W-th write", "[storage][replication]") {
  // Three replicas at three speeds: storage-0's drives (the default
  // profile), gpu-server-3's at 1 GB/s, gpu-server-2's at 100 MB/s.
  const std::string drives =
      "  - {name: medium, type: nvme, on: [gpu-server-3], write_bandwidth: 1GB/s}\n"
      "  - {name: slow, type: nvme, on: [gpu-server-2], write_bandwidth: 100MB/s}\n";
  const double bytes = 64 * kMiB;
  for (int w = 1; w <= 3; ++w) {
    auto sim = make(fmt::format("protection: quorum, replicas: 3, write_quorum: {}", w), drives);
    ReplicationProbe& svc = probe(*sim);
    std::vector<Target> targets;
    for (const char* server : {"storage-0", "gpu-server-3", "gpu-server-2"})
      targets.push_back(svc.target(index_of(svc, server), 0));
    const topo::Vertex client = client_memory(*sim);
    const IoShape shape;
    // Each replica alone: the one-copy closed form; the W-th fastest decides.
    std::vector<double> alone;
    for (const Target& t : targets)
      alone.push_back(one_copy_write_s(*sim->cluster(), client, t, bytes, shape));
    std::sort(alone.begin(), alone.end());
    REQUIRE(alone[2] > 2 * alone[1]);
    REQUIRE(alone[1] > 2 * alone[0]);
    Timed t;
    sim->engine().spawn(timed_write(svc, svc.protection, client, targets, Bytes(bytes), shape, t));
    sim->run();
    INFO("W = " << w);
    CHECK(t.end.seconds() == Approx(alone[static_cast<std::size_t>(w - 1)]).epsilon(1e-6));
    // The replicas beyond W still wrote everything.
    CHECK(sim->metrics()["svc"]["drive_written_bytes"].get<double>() == Approx(3 * bytes));
  }
}

TEST_CASE("quorum reads fetch data from one replica and digests from R-1",
          "[storage][replication]") {
  auto sim = make("protection: quorum, replicas: 3, write_quorum: 2, read_quorum: 2");
  ReplicationProbe& svc = probe(*sim);
  Timed t;
  const double bytes = 32 * kMiB;
  sim->engine().spawn(
      timed_read(svc, svc.protection, client_memory(*sim), spread(svc, 3, 3), Bytes(bytes), t));
  sim->run();
  CHECK(sim->metrics()["svc"]["drive_read_bytes"].get<double>() == Approx(2 * bytes));
  CHECK(sim->metrics()["svc"]["network_bytes"].get<double>() == Approx(bytes));
}

TEST_CASE("impossible protection settings are config errors", "[storage][replication]") {
  CHECK_THROWS_WITH(make("protection: quorum, replicas: 3, write_quorum: 4"),
                    Catch::Contains("write_quorum"));
  CHECK_THROWS_WITH(make("protection: quorum, replicas: 2, read_quorum: 3, write_quorum: 2"),
                    Catch::Contains("read_quorum"));
  CHECK_THROWS_WITH(make("protection: erasure, ec_data: 0"), Catch::Contains("ec_data"));
  CHECK_THROWS_WITH(make("protection: chain, replicas: 0"), Catch::Contains("replicas"));
  CHECK_THROWS_WITH(make("protection: mirror"), Catch::Contains("protection"));
  // W > N matters only for a quorum: a chain ignores the quorum keys.
  CHECK_NOTHROW(make("protection: chain, replicas: 1"));
  auto sim = make("protection: quorum, replicas: 5, write_quorum: 3, read_quorum: 3");
  CHECK(probe(*sim).protection.describe() == "quorum N=5 W=3 R=3");
  CHECK(probe(*sim).protection.tolerated_failures() == 2);
  CHECK(make("protection: none")->components().size() > 0);
}

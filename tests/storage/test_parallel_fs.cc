// The parallel file systems against closed forms. Lustre: a file striped
// over c OSTs is written at c x one drive's write bandwidth when the drives
// are the limit; creates from many clients run at the MDSs' rate; stripes
// land round-robin and a write's bytes split over the objects as striping
// says; an unloaded metadata RPC and a small write cost exactly their path
// plus the kernel client's per-RPC cost. DAOS: a commit costs the majority
// round trip of the Raft pool service, derived from route latencies and NIC
// overheads; erasure coding and replication amplify bytes as the scheme
// says; a small write costs its path alone, with no client cost.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/simulation.h"
#include "models/storage/parallel_fs/daos.h"
#include "models/storage/parallel_fs/lustre.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "sim/units.h"

namespace {

using stormsim::models::Cluster;
using stormsim::models::Nvme;
using stormsim::models::Simulation;
using stormsim::models::devices::IoOp;
using stormsim::models::storage::Client;
using stormsim::models::storage::DaosFs;
using stormsim::models::storage::FileId;
using stormsim::models::storage::LustreFs;
using stormsim::models::storage::StorageService;
using stormsim::sim::Bytes;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::config::load_string;
namespace topo = stormsim::topo;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

// The dev topology with one file system `fs` of `type` and `params`.
std::unique_ptr<Simulation> make(const std::string& type, const std::string& params) {
  const std::string text = fmt::format(
      "name: pfs\nseed: 1\nduration: 1000s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: fs, type: {}{}{}}}\n",
      STORMSIM_SOURCE_DIR, type, params.empty() ? "" : ", ", params);
  return std::make_unique<Simulation>(load_string(text, "pfs_test.yaml"));
}

template <typename T>
T& service(Simulation& sim) {
  for (const auto& c : sim.components()) {
    if (auto* s = dynamic_cast<T*>(c.get()))
      return *s;
  }
  throw std::logic_error("no file system");
}

std::uint32_t server_index(Simulation& sim, const std::string& name) {
  const auto& servers = sim.cluster()->topology().servers();
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    if (servers[s].name == name)
      return s;
  }
  throw std::logic_error("no server " + name);
}

// Rank `id` in host memory of `server`.
Client client(Simulation& sim, const std::string& server, std::uint64_t id = 0) {
  const std::uint32_t s = server_index(sim, server);
  return Client{sim.cluster()->memory_of(s), s, id};
}

struct Timed {
  Time start{}, end{};
  FileId file = 0;
  double seconds() const { return (end - start).seconds(); }
};

// Creates `path`, then times one write of `bytes` into it.
Task<void> create_then_write(StorageService& fs, Client c, std::string path, Bytes bytes,
                             Timed& t) {
  t.file = co_await fs.create(c, path);
  t.start = fs.cluster().engine().now();
  co_await fs.write(c, t.file, Bytes(0), bytes);
  t.end = fs.cluster().engine().now();
}

// Writes `path`, then reads it back.
Task<void> write_then_read(StorageService& fs, Client c, std::string path, Bytes bytes) {
  const FileId f = co_await fs.create(c, path);
  co_await fs.write(c, f, Bytes(0), bytes);
  co_await fs.read(c, f, Bytes(0), bytes);
}

Task<void> timed_create(StorageService& fs, Client c, std::string path, Timed& t) {
  t.start = fs.cluster().engine().now();
  t.file = co_await fs.create(c, path);
  t.end = fs.cluster().engine().now();
}

// One create, then (on an idle system again) a 4 KiB write into a new file.
Task<void> create_then_small_write(StorageService& fs, Client c, Timed& create, Timed& write) {
  co_await timed_create(fs, c, "meta", create);
  co_await create_then_write(fs, c, "data", Bytes(4096), write);
}

// `n` creates in a row, names `first`, `first + stride`, ...
Task<void> creator(StorageService& fs, Client c, int first, int n, int stride, Time& last) {
  for (int i = 0; i < n; ++i)
    co_await fs.create(c, fmt::format("dir/f{}", first + i * stride));
  last = std::max(last, fs.cluster().engine().now());
}

// ---- closed-form pieces of a path ----

// The idle rate of the route from `a` to `b`: its narrowest link.
double path_rate(Cluster& c, topo::Vertex a, topo::Vertex b) {
  double rate = 1e300;
  for (topo::LinkId l : c.topology().route(a, b, 1).links)
    rate = std::min(rate, c.flows().capacity(c.network().constraint(l)).value());
  return rate;
}

// Route latency plus the NIC's RDMA per-message overhead across servers.
double first_byte_s(Cluster& c, topo::Vertex a, topo::Vertex b) {
  const auto nic = c.sending_nic(a, b, 1);
  return c.topology().route(a, b, 1).latency.seconds() +
         (nic ? c.nic(*nic).first->message_overhead().seconds() : 0.0);
}

// A message of `bytes` from a to b on an idle fabric.
double message_s(Cluster& c, topo::Vertex a, topo::Vertex b, double bytes) {
  return first_byte_s(c, a, b) + bytes / path_rate(c, a, b);
}

// One request of `bytes` from `src` onto a drive at queue depth 1.
double drive_write_s(Cluster& c, topo::Vertex src, std::pair<Nvme*, std::uint32_t> d,
                     double bytes) {
  auto [nvme, index] = d;
  const topo::Vertex v = nvme->vertex(index);
  const double drive_rate =
      std::min(nvme->profile().bandwidth(IoOp::kWrite, Bytes(bytes), 1).value(),
               c.flows().capacity(nvme->media(index, true)).value());
  return first_byte_s(c, src, v) +
         nvme->profile().curve(IoOp::kWrite).unloaded_latency(Bytes(bytes)).seconds() +
         bytes / std::min(path_rate(c, src, v), drive_rate);
}

}  // namespace

TEST_CASE("Lustre: a file striped over c OSTs writes at c x the drive bandwidth",
          "[storage][lustre]") {
  // The dev storage servers' drives write 6.6 GB/s (nvme default); every
  // other link on the way (client NIC 400 Gb/s, storage NICs 2 x 200 Gb/s,
  // drive links PCIe 4.0 x4 = 7.88 GB/s) is faster, so c drives are the limit.
  for (int c : {1, 2, 4}) {
    DYNAMIC_SECTION("stripe_count " << c) {
      auto sim = make("lustre", fmt::format("stripe_count: {}", c));
      LustreFs& fs = service<LustreFs>(*sim);
      REQUIRE(fs.stripe_count() == static_cast<std::size_t>(c));
      Timed t;
      const double bytes = 8 * kGiB;
      sim->engine().spawn(
          create_then_write(fs, client(*sim, "gpu-server-0"), "ckpt", Bytes(bytes), t));
      sim->run();
      CHECK(bytes / t.seconds() == Approx(c * 6.6e9).epsilon(0.01));
      const nlohmann::json m = sim->metrics();
      CHECK_THAT(m["cluster"]["bottlenecks"][0]["constraint"].get<std::string>(),
                 Catch::Contains("media.write"));
    }
  }
}

TEST_CASE("Lustre: stripes go round-robin over OSTs and servers", "[storage][lustre]") {
  auto sim = make("lustre", "stripe_count: 4, stripe_size: 1MiB");
  LustreFs& fs = service<LustreFs>(*sim);
  Timed a, b;
  const Client c = client(*sim, "gpu-server-0");
  // 10 MiB over 4 objects of 1 MiB stripes: objects 0, 1 get 3 stripes, 2, 3 get 2.
  sim->engine().spawn(create_then_write(fs, c, "a", Bytes(10 * kMiB), a));
  sim->engine().spawn(create_then_write(fs, c, "b", Bytes(10 * kMiB), b));
  sim->run();
  REQUIRE(fs.ost_count() == 32);  // 2 servers x 16 drives, one OST per drive
  // OSTs interleave the servers: 0 on storage-0, 1 on storage-1, 2 on storage-0 ...
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(fs.ost(i).server == i % 2);
  // The allocator continues where the previous file stopped.
  const FileId first = a.file < b.file ? a.file : b.file;
  const FileId second = a.file < b.file ? b.file : a.file;
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(fs.ost_of(first, i) == i);
    CHECK(fs.ost_of(second, i) == 4 + i);
    CHECK(fs.ost_of(first, i + 4) == i);  // stripe 4 wraps to object 0
  }
  const double expect[] = {3, 3, 2, 2, 3, 3, 2, 2};
  for (std::size_t o = 0; o < 8; ++o) {
    auto [nvme, index] = fs.ost(o).drives.at(0);
    CHECK(nvme->written(index).value() == Approx(expect[o] * kMiB));
    CHECK(fs.bytes_on_object(Bytes(0), Bytes(10 * kMiB), o % 4).value() ==
          Approx(expect[o] * kMiB));
  }
  // An unaligned range: [1.5, 6.5) MiB covers half of stripe 1, 2, 3, 4, 5, half of 6.
  CHECK(fs.bytes_on_object(Bytes(1.5 * kMiB), Bytes(5 * kMiB), 0).value() == Approx(1 * kMiB));
  CHECK(fs.bytes_on_object(Bytes(1.5 * kMiB), Bytes(5 * kMiB), 1).value() == Approx(1.5 * kMiB));
  CHECK(fs.bytes_on_object(Bytes(1.5 * kMiB), Bytes(5 * kMiB), 2).value() == Approx(1.5 * kMiB));
  CHECK(fs.bytes_on_object(Bytes(1.5 * kMiB), Bytes(5 * kMiB), 3).value() == Approx(1 * kMiB));
}

TEST_CASE("Lustre: creates from many clients run at the MDSs' rate", "[storage][lustre]") {
  for (int mds : {1, 2}) {
    DYNAMIC_SECTION(mds << " MDS") {
      auto sim = make("lustre", fmt::format("mds: {}, mds_rate: 20K IOPS", mds));
      LustreFs& fs = service<LustreFs>(*sim);
      // 32 ranks (8 per GPU server) keep every MDS's queue full: one RPC's
      // round trip outside the MDS is far shorter than 32 services.
      const int ranks = 32, per_rank = 100;
      Time last{};
      for (int r = 0; r < ranks; ++r) {
        const Client c = client(*sim, fmt::format("gpu-server-{}", r % 4), r);
        sim->engine().spawn(creator(fs, c, r, per_rank, ranks, last));
      }
      sim->run();
      REQUIRE(fs.file_count() == static_cast<std::size_t>(ranks * per_rank));
      std::uint64_t busiest = 0, total = 0;
      for (std::size_t m = 0; m < fs.mds_count(); ++m) {
        busiest = std::max(busiest, fs.mds(m).operations());
        total += fs.mds(m).operations();
      }
      CHECK(total == static_cast<std::uint64_t>(ranks * per_rank));
      // The busiest MDS works without a break: the run lasts its ops / rate.
      CHECK(last.seconds() == Approx(static_cast<double>(busiest) / 20e3).epsilon(0.01));
      const double throughput = ranks * per_rank / last.seconds();
      if (mds == 1)
        CHECK(throughput == Approx(20e3).epsilon(0.01));
      else  // DNE: hashing spreads the files, nearly doubling the rate
        CHECK(throughput > 1.9 * 20e3);
    }
  }
}

TEST_CASE("Lustre: an unloaded create and a small write cost their path plus the client cost",
          "[storage][lustre]") {
  for (const char* cost : {"0us", "15us", "40us"}) {
    DYNAMIC_SECTION("client_op_latency " << cost) {
      auto sim = make("lustre", fmt::format("client_op_latency: {}", cost));
      LustreFs& fs = service<LustreFs>(*sim);
      const double x = stormsim::sim::units::parse_time(cost).seconds();
      Cluster& cl = *sim->cluster();
      const Client c = client(*sim, "gpu-server-0");
      Timed create, write;
      sim->engine().spawn(create_then_small_write(fs, c, create, write));
      sim->run();
      // create: x + request + one MDS service (1 / 50K ops/s) + reply.
      const topo::Vertex mds = fs.mds_vertex(0);
      const double create_s =
          x + message_s(cl, c.buffer, mds, 512) + 1 / 50e3 + message_s(cl, mds, c.buffer, 512);
      CHECK(create.seconds() == Approx(create_s).margin(20e-9));
      // write: x + request + bulk into OSS memory + memory onto the drive + reply.
      const auto& ost = fs.ost(fs.ost_of(write.file, 0));
      const topo::Vertex mem = fs.drives_of(ost.server).memory;
      const double write_s =
          x + message_s(cl, c.buffer, mem, 512) + message_s(cl, c.buffer, mem, 4096) +
          drive_write_s(cl, mem, ost.drives[0], 4096) + message_s(cl, mem, c.buffer, 512);
      CHECK(write.seconds() == Approx(write_s).margin(20e-9));
    }
  }
}

TEST_CASE("DAOS: object classes parse into protection schemes", "[storage][daos]") {
  using stormsim::models::storage::parse_object_class;
  using stormsim::models::storage::Scheme;
  CHECK(parse_object_class("S1").protection.scheme == Scheme::kNone);
  CHECK(parse_object_class("SX").groups == 0);
  const auto rp = parse_object_class("RP_3G1");
  CHECK(rp.protection.scheme == Scheme::kQuorum);
  CHECK(rp.protection.replicas == 3);
  CHECK(rp.protection.write_quorum == 3);  // a DAOS update completes on every replica
  CHECK(rp.protection.read_quorum == 1);
  CHECK(rp.width == 3);
  CHECK(rp.groups == 1);
  const auto ec = parse_object_class("EC_8P2GX");
  CHECK(ec.protection.scheme == Scheme::kErasure);
  CHECK(ec.protection.data == 8);
  CHECK(ec.protection.parity == 2);
  CHECK(ec.width == 10);
  CHECK(ec.groups == 0);
  CHECK(parse_object_class("EC_4P1G2").groups == 2);
  CHECK_THROWS_AS(parse_object_class("RP3"), std::invalid_argument);
  CHECK_THROWS_AS(make("daos", "object_class: EC_16P2G4"), stormsim::sim::config::ConfigError);
}

TEST_CASE("DAOS: a metadata commit costs a Raft majority round trip", "[storage][daos]") {
  // Replicas on distinct servers at different distances from the leader on
  // gpu-server-0 (the first of the service's servers): gpu-server-1 shares
  // its leaf, the others are a spine away; the client is on gpu-server-3.
  for (int n : {1, 3, 5}) {
    DYNAMIC_SECTION(n << " replicas") {
      auto sim = make("daos", fmt::format("servers: [gpu-server-0, gpu-server-1, gpu-server-2, "
                                          "storage-0, storage-1], object_class: S1, "
                                          "pool_service_replicas: {}",
                                          n));
      DaosFs& fs = service<DaosFs>(*sim);
      REQUIRE(fs.pool_service_replicas() == static_cast<std::size_t>(n));
      Cluster& cl = *sim->cluster();
      const Client c = client(*sim, "gpu-server-3");
      Timed t;
      sim->engine().spawn(timed_create(fs, c, "f", t));
      sim->run();
      const topo::Vertex leader = fs.replica(0);
      std::vector<double> rtt;
      for (int f = 1; f < n; ++f) {
        rtt.push_back(message_s(cl, leader, fs.replica(f), 256) +
                      message_s(cl, fs.replica(f), leader, 256));
      }
      std::sort(rtt.begin(), rtt.end());
      // The leader and n/2 followers make a majority: the (n/2)-th fastest.
      const double append = n / 2 == 0 ? 0.0 : rtt[static_cast<std::size_t>(n / 2 - 1)];
      const double expect = message_s(cl, c.buffer, leader, 256) + 1 / 50e3 + append +
                            message_s(cl, leader, c.buffer, 256);
      CHECK(t.seconds() == Approx(expect).margin(20e-9));
      if (n == 5)  // the second-nearest follower decides, not the nearest nor the last
        CHECK(rtt[1] > rtt[0]);
    }
  }
}

TEST_CASE("DAOS: erasure coding and replication amplify bytes as their schemes",
          "[storage][daos]") {
  for (auto [oc, ratio] : {std::pair{"EC_8P2GX", 1.25}, std::pair{"EC_4P2G1", 1.5},
                           std::pair{"RP_3GX", 3.0}, std::pair{"SX", 1.0}}) {
    DYNAMIC_SECTION(oc) {
      auto sim = make("daos", fmt::format("object_class: {}", oc));
      DaosFs& fs = service<DaosFs>(*sim);
      CHECK(fs.storage_amplification() == Approx(ratio));
      Timed t;
      sim->engine().spawn(
          create_then_write(fs, client(*sim, "gpu-server-0"), "f", Bytes(256 * kMiB), t));
      sim->run();
      const auto m = sim->metrics()["fs"];
      CHECK(m["written_bytes"].get<double>() == Approx(256 * kMiB));
      CHECK(m["drive_amplification"].get<double>() == Approx(ratio));
      CHECK(m["network_amplification"].get<double>() == Approx(ratio));
    }
  }
}

TEST_CASE("network bytes of reads do not count as write amplification", "[storage][daos]") {
  // EC 8+2: a write sends 10 fragments of 1/8 (1.25x), a read fetches the 8
  // data fragments (1x); both cross the fabric from the client's server.
  auto sim = make("daos", "object_class: EC_8P2GX");
  DaosFs& fs = service<DaosFs>(*sim);
  sim->engine().spawn(write_then_read(fs, client(*sim, "gpu-server-0"), "f", Bytes(256 * kMiB)));
  sim->run();
  const auto m = sim->metrics()["fs"];
  CHECK(m["network_amplification"].get<double>() == Approx(1.25));
  CHECK(m["network_write_bytes"].get<double>() == Approx(1.25 * 256 * kMiB));
  CHECK(m["network_read_bytes"].get<double>() == Approx(256 * kMiB));
  CHECK(m["network_bytes"].get<double>() == Approx(2.25 * 256 * kMiB));
}

TEST_CASE("DAOS: a small write costs its path and no client overhead", "[storage][daos]") {
  auto sim = make("daos", "object_class: S1");
  DaosFs& fs = service<DaosFs>(*sim);
  Cluster& cl = *sim->cluster();
  const Client c = client(*sim, "gpu-server-0");
  Timed t;
  sim->engine().spawn(create_then_write(fs, c, "f", Bytes(4096), t));
  sim->run();
  const auto targets = fs.chunk_targets(t.file, 0);
  REQUIRE(targets.size() == 1);
  const topo::Vertex engine = fs.drives_of(targets[0].server).memory;
  // The update request, the bytes from the client buffer onto the drive, the
  // reply: nothing else.
  const double expect = message_s(cl, c.buffer, engine, 256) +
                        drive_write_s(cl, c.buffer, targets[0].drive, 4096) +
                        message_s(cl, engine, c.buffer, 256);
  CHECK(t.seconds() == Approx(expect).margin(20e-9));
}

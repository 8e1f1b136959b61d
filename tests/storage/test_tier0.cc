// The tier-0 cache against closed forms on the dev cluster: a write lands at
// the local drives' rate with no fabric bytes, the drain takes S / (the
// durable tier's rate), peer copies cost exactly S on the network and
// survive a node loss, and a full tier-0 evicts drained files or waits.
//
// The durable tier is a test-only service (`tier0_test_sink`) that puts
// every byte on one drive of the first storage server, whose write
// bandwidth the scenario sets to 2 GB/s: its rate is exactly that.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "models/registry.h"
#include "models/simulation.h"
#include "models/storage/service.h"
#include "models/storage/tier0/layout.h"
#include "models/storage/tier0/tier0.h"
#include "sim/config/node.h"
#include "tests/storage/test_sink.h"

namespace stormsim::models::storage {
namespace {

using sim::Bytes;
using sim::Time;

constexpr double kGiB = 1024.0 * 1024 * 1024;
// PCIe payload efficiency at the pcie model's defaults (256 B payload, 24 B
// of overhead per TLP).
constexpr double kPcieEff = 256.0 / (256.0 + 24.0);
// A GPU server's local write rate: 8 drives, each min(media 6.6 GB/s, its
// gen4 x4 link 7.877 GB/s x efficiency = 7.2 GB/s); the 4 switch uplinks
// (gen5 x16, 2 drives each) and DRAM are far from binding.
constexpr double kDriveLink = 16e9 * 4 * 128 / 130 / 8 * kPcieEff;
const double kLocalRate = 8 * std::min(6.6e9, kDriveLink);
constexpr double kSinkRate = 2e9;  // the sink drive's write bandwidth

std::string scenario(const std::string& tier0_params) {
  return fmt::format(
      "name: tier0\nduration: 100s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: sink_drives, type: nvme, on: [storage_drives], write_bandwidth: 2GB/s}}\n"
      "  - {{name: sink, type: tier0_test_sink}}\n"
      "  - {{name: t0, type: tier0, durable: sink{}}}\n",
      STORMSIM_SOURCE_DIR, tier0_params.empty() ? "" : ", " + tier0_params);
}

template <typename T>
T& component(Simulation& sim, const std::string& name) {
  for (const auto& c : sim.components()) {
    if (c->name() == name)
      return dynamic_cast<T&>(*c);
  }
  FAIL("no component " << name);
  throw;
}

Client client_on(Simulation& sim, const std::string& server, std::uint64_t id = 0) {
  const auto& servers = sim.cluster()->topology().servers();
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    if (servers[s].name == server)
      return Client{sim.cluster()->memory_of(s), s, id};
  }
  FAIL("no server " << server);
  throw;
}

struct Save {
  Time start{}, acked{}, durable{};
  FileId file = 0;
  bool ok = false;
  bool done = false;
};

sim::Task<void> save(sim::Engine& engine, Tier0& t0, Client c, std::string path, double bytes,
                     Save* out) {
  out->start = engine.now();
  out->file = co_await t0.create(c, path);
  co_await t0.write(c, out->file, Bytes(0), Bytes(bytes));
  co_await t0.fsync(c, out->file);
  out->acked = engine.now();
  co_await t0.close(c, out->file);
  out->ok = co_await t0.wait_durable(out->file);
  out->durable = engine.now();
  out->done = true;
}

sim::Task<void> save_at(sim::Engine& engine, Time at, Tier0& t0, Client c, std::string path,
                        double bytes, Save* out) {
  co_await engine.sleep(at);
  co_await save(engine, t0, c, path, bytes, out);
}

sim::Task<void> fail_at(sim::Engine& engine, Time at, Tier0& t0, std::uint32_t server) {
  co_await engine.sleep(at);
  t0.fail_server(server);
}

sim::Task<void> read_back(sim::Engine& engine, Time at, Tier0& t0, Client c, std::string path,
                          double bytes, Time* done) {
  co_await engine.sleep(at);
  const FileId f = co_await t0.open(c, path);
  co_await t0.read(c, f, Bytes(0), Bytes(bytes));
  co_await t0.close(c, f);
  *done = engine.now();
}

}  // namespace

TEST_CASE("tier0 stripes cover the range exactly", "[storage][tier0]") {
  const auto b = tier0::stripe_bytes(0, 10, 1, 4);
  CHECK(b == std::vector<double>{3, 3, 2, 2});
  const auto c = tier0::stripe_bytes(2.5, 9, 1, 4);  // units 2..11, halves at both ends
  CHECK(c == std::vector<double>{2, 2, 2.5, 2.5});
  const auto d = tier0::stripe_bytes(0, 64 * kGiB, 1 << 20, 8);
  for (double x : d)
    CHECK(x == 8 * kGiB);
}

TEST_CASE("tier0: a write lands at the local drives' rate, then drains at the durable rate",
          "[storage][tier0]") {
  Simulation sim(sim::config::load_string(scenario(""), "tier0.yaml"));
  auto& t0 = component<Tier0>(sim, "t0");
  const double s = 8 * kGiB;
  Save out;
  sim.engine().spawn(save(sim.engine(), t0, client_on(sim, "gpu-server-0"), "ckpt/r0", s, &out));
  sim.run();
  REQUIRE(out.done);
  CHECK(out.ok);
  const double ack = (out.acked - out.start).seconds();
  const double drain = s / kSinkRate;
  CHECK(ack == Approx(s / kLocalRate).epsilon(0.01));
  CHECK((out.durable - out.start).seconds() == Approx(ack + drain).epsilon(0.01));
  CHECK(t0.acknowledged_at(out.file).has_value());
  CHECK(*t0.durable_at(out.file) == out.durable);

  const auto m = sim.metrics();
  CHECK(m["t0"]["network_bytes"].get<double>() == 0.0);  // no fabric bytes on the way in
  CHECK(m["t0"]["drive_written_bytes"].get<double>() == s);
  CHECK(m["t0"]["tier0"]["drained_bytes"].get<double>() == s);
  CHECK(m["sink"]["drive_written_bytes"].get<double>() == s);
  CHECK(m["t0"]["tier0"]["time_to_durable"]["max_s"].get<double>() ==
        Approx(ack + drain).epsilon(0.01));
  CHECK(m["t0"]["tier0"]["drain_backlog_bytes"]["max"].get<double>() == s);
  CHECK(m["t0"]["tier0"]["drain_backlog_bytes"]["current"].get<double>() == 0.0);
}

TEST_CASE("tier0: the drain bandwidth cap and the drain slots bound the drain",
          "[storage][tier0]") {
  const double s = 4 * kGiB;
  SECTION("a 1 GB/s cap") {
    Simulation sim(sim::config::load_string(scenario("drain_bandwidth: 1GB/s"), "tier0.yaml"));
    auto& t0 = component<Tier0>(sim, "t0");
    Save out;
    sim.engine().spawn(save(sim.engine(), t0, client_on(sim, "gpu-server-0"), "a", s, &out));
    sim.run();
    // Reads run at the cap; the last 64 MiB chunk (drain_chunk) is then
    // written at the sink's rate. (Each of the 64 chunk reads also waits
    // one drive request's latency, 160 us: 0.25% more.)
    const double last_chunk = 64.0 * 1024 * 1024 / kSinkRate;
    CHECK((out.durable - out.acked).seconds() == Approx(s / 1e9 + last_chunk).epsilon(0.005));
  }
  SECTION("one drain at a time per server") {
    Simulation sim(sim::config::load_string(scenario("drains_per_server: 1"), "tier0.yaml"));
    auto& t0 = component<Tier0>(sim, "t0");
    Save a, b;
    const Client c0 = client_on(sim, "gpu-server-0", 0), c1 = client_on(sim, "gpu-server-0", 1);
    sim.engine().spawn(save(sim.engine(), t0, c0, "a", s, &a));
    sim.engine().spawn(save(sim.engine(), t0, c1, "b", s, &b));
    sim.run();
    // Both land together (2S at the local rate), then drain one after the other.
    const double ack = 2 * s / kLocalRate;
    CHECK(a.acked.seconds() == Approx(ack).epsilon(0.01));
    CHECK(a.durable.seconds() == Approx(ack + s / kSinkRate).epsilon(0.01));
    CHECK(b.durable.seconds() == Approx(ack + 2 * s / kSinkRate).epsilon(0.01));
  }
}

TEST_CASE("tier0: a peer copy costs exactly S on the network and survives a node loss",
          "[storage][tier0]") {
  const double s = 4 * kGiB;
  SECTION("ring: the next server") {
    Simulation sim(sim::config::load_string(scenario("peer_replicas: 1"), "tier0.yaml"));
    auto& t0 = component<Tier0>(sim, "t0");
    const Client c = client_on(sim, "gpu-server-0");
    const Client c1 = client_on(sim, "gpu-server-1");
    Save out;
    sim.engine().spawn(save(sim.engine(), t0, c, "a", s, &out));
    // Lose the writer's server mid-drain: the drain goes on from the peer.
    const Time mid = Time::from_seconds(1.0);
    sim.engine().spawn(fail_at(sim.engine(), mid, t0, c.server));
    Time read_done{};
    sim.engine().spawn(
        read_back(sim.engine(), Time::from_seconds(1.5), t0, c1, "a", s, &read_done));
    sim.run();
    const auto m = sim.metrics();
    CHECK(m["t0"]["network_bytes"].get<double>() == s);
    CHECK(m["t0"]["drive_written_bytes"].get<double>() == 2 * s);
    CHECK(t0.copies(out.file) == std::vector<std::uint32_t>{c1.server});
    CHECK(out.ok);  // durable despite the loss
    CHECK(m["t0"]["tier0"]["read_bytes_from"]["local"].get<double>() ==
          s);  // c1 holds the peer copy
    CHECK(read_done > Time::from_seconds(1.5));
  }
  SECTION("survives() before any drain, for every server lost") {
    Simulation sim(sim::config::load_string(
        scenario("peer_replicas: 1, peer_placement: other_leaf, drain_bandwidth: 1MB/s"),
        "tier0.yaml"));
    auto& t0 = component<Tier0>(sim, "t0");
    const Client c = client_on(sim, "gpu-server-0");
    Save out;
    sim.engine().spawn(save(sim.engine(), t0, c, "a", s, &out));
    sim.run();  // 100 s: 4 GiB at 1 MB/s is far from drained
    REQUIRE_FALSE(t0.is_durable(out.file));
    // dev.yaml puts gpu-server-0 and -1 under leaf0, -2 and -3 under leaf1.
    CHECK(t0.copies(out.file) ==
          std::vector<std::uint32_t>{c.server, client_on(sim, "gpu-server-2").server});
    for (std::uint32_t srv = 0; srv < sim.cluster()->topology().servers().size(); ++srv)
      CHECK(t0.survives(out.file, srv));
    CHECK(sim.metrics()["t0"]["network_bytes"].get<double>() == s);
  }
  SECTION("without a peer copy the loss of the writer loses the file") {
    Simulation sim(sim::config::load_string(scenario(""), "tier0.yaml"));
    auto& t0 = component<Tier0>(sim, "t0");
    const Client c = client_on(sim, "gpu-server-0");
    Save out;
    sim.engine().spawn(save(sim.engine(), t0, c, "a", s, &out));
    sim.engine().spawn(fail_at(sim.engine(), Time::from_seconds(1.0), t0, c.server));
    sim.run();
    CHECK_FALSE(t0.survives(out.file, 9999));
    CHECK(out.done);
    CHECK_FALSE(out.ok);
    CHECK(t0.source_for(out.file, c.server) == Tier0::Source::kLost);
    CHECK(sim.metrics()["t0"]["tier0"]["files_lost"] == 1);
  }
}

TEST_CASE("tier0: a full tier-0 evicts drained files, least recently used first, or waits",
          "[storage][tier0]") {
  // 10 GiB per server; files of 6 GiB: the second waits for the first's drain.
  const double s = 6 * kGiB;
  Simulation sim(sim::config::load_string(scenario("capacity: 10GiB"), "tier0.yaml"));
  auto& t0 = component<Tier0>(sim, "t0");
  const Client c = client_on(sim, "gpu-server-0");
  Save a, b;
  sim.engine().spawn(save(sim.engine(), t0, c, "a", s, &a));
  sim.engine().spawn(save_at(sim.engine(), Time::from_seconds(0.5), t0, c, "b", s, &b));
  Time read_done{};
  sim.engine().spawn(read_back(sim.engine(), Time::from_seconds(20), t0, c, "a", s, &read_done));
  sim.run();
  const double w = s / kLocalRate, d = s / kSinkRate;
  CHECK(a.durable.seconds() == Approx(w + d).epsilon(0.01));
  // b waited for a's drain, evicted it, then landed.
  CHECK(b.acked.seconds() == Approx(w + d + w).epsilon(0.01));
  CHECK(b.durable.seconds() == Approx(w + d + w + d).epsilon(0.01));
  const auto m = sim.metrics()["t0"]["tier0"];
  CHECK(m["writes_waiting_for_space"] == 1);
  CHECK(m["evictions"] == 1);
  CHECK(m["evicted_bytes"].get<double>() == s);
  CHECK(t0.source_for(a.file, c.server) == Tier0::Source::kDurable);
  CHECK(m["read_bytes_from"]["durable"].get<double>() == s);
  CHECK(read_done > Time::from_seconds(20));
  CHECK(t0.used(c.server).value() == s);
}

TEST_CASE("tier0: a write larger than the tier-0 is an error", "[storage][tier0]") {
  Simulation sim(sim::config::load_string(scenario("capacity: 1GiB"), "tier0.yaml"));
  auto& t0 = component<Tier0>(sim, "t0");
  Save out;
  sim.engine().spawn(save(sim.engine(), t0, client_on(sim, "gpu-server-0"), "a", 2 * kGiB, &out));
  CHECK_THROWS_WITH(sim.run(), Catch::Contains("does not fit"));
}

}  // namespace stormsim::models::storage

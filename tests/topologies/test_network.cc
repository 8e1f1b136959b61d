// Network: transfers routed over a topology and shared on its links, against
// closed-form times; ECMP collisions; spraying; failures.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/flow/flow_system.h"
#include "sim/task.h"
#include "tests/catch_time.h"
#include "tests/topologies/helpers.h"
#include "topologies/network.h"

namespace {

using stormsim::sim::Bytes;
using stormsim::sim::Engine;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::flow::FlowSystem;
using stormsim::sim::flow::TransferAborted;
using stormsim::topo::LinkId;
using stormsim::topo::Network;
using stormsim::topo::NetworkTransferOptions;
using stormsim::topo::Route;
using stormsim::topo::Topology;
using stormsim::topo::Vertex;
namespace test = stormsim::topo::test;

Task<void> send(Network& net, Vertex a, Vertex b, Bytes bytes, Time& done,
                NetworkTransferOptions o = {}) {
  co_await net.transfer(a, b, bytes, o);
  done = net.flows().engine().now();
}

Task<void> send_or_abort(Network& net, Vertex a, Vertex b, Bytes bytes, std::string& error) {
  try {
    co_await net.transfer(a, b, bytes);
  } catch (const TransferAborted& e) {
    error = e.what();
  }
}

Vertex nic(const Topology& t, std::size_t server) {
  return t.servers().at(server).nics.at(0);
}

// The time a lone transfer takes over `r`: latency plus bytes at the
// narrowest link, rounded up to the nanosecond.
Time lone_time(const Topology& t, const Route& r, double bytes) {
  double narrowest = 1e300;
  for (LinkId l : r.links)
    narrowest = std::min(narrowest, t.capacity(l).value());
  return r.latency + Time::from_ns(static_cast<std::int64_t>(std::ceil(bytes / narrowest * 1e9)));
}

bool share_a_link(const Route& a, const Route& b) {
  return std::any_of(a.links.begin(), a.links.end(), [&](LinkId l) {
    return std::find(b.links.begin(), b.links.end(), l) != b.links.end();
  });
}

TEST_CASE("a lone transfer across a fat-tree takes latency plus bytes at line rate") {
  const Topology t = test::fat_tree(4);
  Engine engine;
  FlowSystem flows(engine);
  Network net(flows, t);
  // Servers 0 and 15 sit in different pods: 6 switch hops plus the NICs.
  const Vertex a = nic(t, 0), b = nic(t, 15);
  const Route r = t.route(a, b, 7);
  Time done{};
  engine.spawn(send(net, a, b, Bytes(1e9), done, {.flow_label = 7}));
  engine.run();
  CHECK(done == lone_time(t, r, 1e9));
  for (LinkId l : r.links)
    CHECK(net.usage(l).bytes.value() == Approx(1e9));
}

TEST_CASE("flows hashed onto the same link share it, flows on disjoint paths do not") {
  const Topology t = test::fat_tree(4);
  // Two flows between distinct pairs of pods 0 -> 1: find labels whose
  // per-flow hash puts them on a common switch link, and labels that do not.
  const Vertex a = nic(t, 0), b = nic(t, 4), c = nic(t, 2), d = nic(t, 6);
  std::uint64_t collide = 0, apart = 0;
  const Route ra = t.route(a, b, 1);
  for (std::uint64_t l = 2; l < 200 && (collide == 0 || apart == 0); ++l) {
    const Route rc = t.route(c, d, l);
    (share_a_link(ra, rc) ? collide : apart) = l;
  }
  REQUIRE(collide != 0);
  REQUIRE(apart != 0);
  const Time alone = lone_time(t, ra, 1e9);

  for (const bool collided : {true, false}) {
    Engine engine;
    FlowSystem flows(engine);
    Network net(flows, t);
    Time t1{}, t2{};
    engine.spawn(send(net, a, b, Bytes(1e9), t1, {.flow_label = 1}));
    engine.spawn(send(net, c, d, Bytes(1e9), t2, {.flow_label = collided ? collide : apart}));
    engine.run();
    if (collided) {
      // Equal links everywhere: the shared one halves both, to the end.
      CHECK(t1 == lone_time(t, ra, 2e9));
      CHECK(t2 == t1);
    } else {
      CHECK(t1 == alone);
    }
  }
}

TEST_CASE("spraying splits a transfer over equal paths and ends with the last part") {
  const Topology t = test::fat_tree(4, "routing: {policy: spray, spray_paths: 4}\n");
  Engine engine;
  FlowSystem flows(engine);
  Network net(flows, t);
  const Vertex a = nic(t, 0), b = nic(t, 15);
  REQUIRE(t.routes(a, b, 1).size() == 4);
  Time done{};
  engine.spawn(send(net, a, b, Bytes(1e9), done));
  engine.run();
  // The four parts share the NICs at both ends, so the whole still moves at
  // line rate: the same time as one flow.
  const Route r = t.routes(a, b, 1).front();
  CHECK(std::abs((done - lone_time(t, r, 1e9)).ns()) <= 2);
}

TEST_CASE("a failed server aborts the flows through it, and later ones") {
  const Topology t = test::fat_tree(4);
  Engine engine;
  FlowSystem flows(engine);
  Network net(flows, t);
  std::string error;
  engine.spawn(send_or_abort(net, nic(t, 0), nic(t, 15), Bytes(1e12), error));
  engine.schedule_at(Time::from_ns(1'000'000), [&] { net.fail_server(15); });
  engine.run();
  CHECK(error.find("transfer aborted") == 0);
  CHECK(flows.active_flows() == 0);

  std::string later;
  engine.spawn(send_or_abort(net, nic(t, 1), nic(t, 15), Bytes(1), later));
  engine.run();
  CHECK(later.find("transfer aborted") == 0);
  net.restore_server(15);
  Time done{};
  engine.spawn(send(net, nic(t, 1), nic(t, 15), Bytes(1e6), done));
  engine.run();
  CHECK(done > Time{});
}

TEST_CASE("the dev cluster: a GPU writes to a storage drive at the narrowest link") {
  const Topology t = stormsim::topo::load_topology(test::source_dir() + "/topologies/dev.yaml");
  Engine engine;
  FlowSystem flows(engine);
  Network net(flows, t);
  const Vertex gpu = t.group("gpus").front();
  const Vertex drive = t.group("storage_drives").front();
  const Route r = t.route(gpu, drive, 3);
  Time done{};
  engine.spawn(send(net, gpu, drive, Bytes(10e9), done, {.flow_label = 3}));
  engine.run();
  CHECK(done == lone_time(t, r, 10e9));
}

}  // namespace

namespace {

TEST_CASE("a sprayed transfer weighs as one flow against an unsprayed one") {
  // Both leave server 0's NIC: spraying must not win it by numbers.
  const Topology t = test::fat_tree(4, "routing: {policy: spray, spray_paths: 4}\n");
  Engine engine;
  FlowSystem flows(engine);
  Network net(flows, t);
  // Server 1 is under the same edge switch (one path); server 15 is in
  // another pod (4 sprayed parts).
  const Vertex a = nic(t, 0), b = nic(t, 15), c = nic(t, 1);
  REQUIRE(t.routes(a, b, 1).size() == 4);
  REQUIRE(t.routes(a, c, 1).size() == 1);
  Time t_spray{}, t_local{};
  engine.spawn(send(net, a, b, Bytes(1e9), t_spray));
  engine.spawn(send(net, a, c, Bytes(1e9), t_local));
  engine.run();
  // Each gets half of the NIC, so each takes about as long as 2 GB alone
  // (the latencies differ by a few hops, hence the tolerance).
  const double both = lone_time(t, t.route(a, c, 1), 2e9).seconds();
  CHECK(t_local.seconds() == Approx(both).epsilon(1e-3));
  CHECK(t_spray.seconds() == Approx(both).epsilon(1e-3));
}

}  // namespace

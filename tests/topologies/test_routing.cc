// ECMP routing: shortest-path lengths and path counts in fat-trees and
// leaf-spines against their closed forms, deterministic seeded hashing,
// collisions under per-flow hashing, spraying, rail locality.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "tests/topologies/helpers.h"
#include "topologies/hash.h"

using stormsim::topo::LinkId;
using stormsim::topo::Route;
using stormsim::topo::Topology;
using stormsim::topo::Vertex;
using stormsim::topo::test::fat_tree;
using stormsim::topo::test::from_yaml;

namespace {

Vertex nic(const Topology& t, int server) {
  return t.find(fmt::format("gpu-server-{}/nic0", server));
}

// The switches a route passes, in order.
std::vector<std::string> switches_on(const Topology& t, const Route& r) {
  std::vector<std::string> out;
  for (LinkId l : r.links) {
    const Vertex v = t.link_target(l);
    if (t.kind(v) == stormsim::topo::VertexKind::kSwitch)
      out.push_back(t.vertex_name(v));
  }
  return out;
}

// A leaf-spine of one-NIC servers: 4 per leaf, 4 leaves.
Topology leaf_spine(int spines, const std::string& routing = "") {
  return from_yaml(
      stormsim::topo::test::one_nic_servers(16) +
      fmt::format("fabric: {{generator: leaf_spine, servers_per_leaf: 4, spines: {}}}\n", spines) +
      routing);
}

// The spine each of `flows` flows from leaf 0 to leaf 1 crosses, counted.
std::map<std::string, int> spine_load(const Topology& t, int flows) {
  std::map<std::string, int> load;
  for (int f = 0; f < flows; ++f) {
    const Route r = t.route(nic(t, f % 4), nic(t, 4 + f % 4), static_cast<std::uint64_t>(f));
    ++load[switches_on(t, r).at(1)];
  }
  return load;
}

// Three two-NIC servers on leaves a and b, which a chain of four switches
// joins: gpu-server-1, with a NIC on each leaf, would be a shorter way.
Topology detour_through_a_server() {
  return from_yaml(R"(
gpu_servers: {count: 3, gpus: 1, nics: 2, pcie_switches: 0, drives: 0, cpus: 1}
fabric: {generator: custom}
switches: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}]
links:
  - {from: gpu-server-0/nic0, to: a, rate: 100Gbps}
  - {from: gpu-server-0/nic1, to: a, rate: 100Gbps}
  - {from: gpu-server-1/nic0, to: a, rate: 100Gbps}
  - {from: gpu-server-1/nic1, to: b, rate: 100Gbps}
  - {from: gpu-server-2/nic0, to: b, rate: 100Gbps}
  - {from: gpu-server-2/nic1, to: b, rate: 100Gbps}
  - {from: a, to: c, rate: 400Gbps}
  - {from: c, to: d, rate: 400Gbps}
  - {from: d, to: e, rate: 400Gbps}
  - {from: e, to: f, rate: 400Gbps}
  - {from: f, to: b, rate: 400Gbps}
)");
}

}  // namespace

TEST_CASE("fat-tree path lengths: same edge, same pod, different pods", "[topologies][routing]") {
  for (int k : {4, 8}) {
    INFO("k=" << k);
    const Topology t = fat_tree(k);
    const int half = k / 2;
    // Host ports fill edge switches in order: servers 0..k/2-1 share edge 0,
    // a pod holds (k/2)^2 servers.
    CHECK(t.route(nic(t, 0), nic(t, 1), 7).links.size() == 2);
    CHECK(t.route(nic(t, 0), nic(t, half), 7).links.size() == 4);
    CHECK(t.route(nic(t, 0), nic(t, half * half), 7).links.size() == 6);
    // From GPU to GPU adds the GPU-CPU-NIC hops at both ends.
    const Route gpu = t.route(t.find("gpu-server-0/gpu0"),
                              t.find(fmt::format("gpu-server-{}/gpu0", half * half)), 7);
    CHECK(gpu.links.size() == 10);
    CHECK(t.link_source(gpu.links.front()) == t.find("gpu-server-0/gpu0"));
    CHECK(switches_on(t, gpu).size() == 5);
  }
}

TEST_CASE("fat-tree ECMP path counts are 1, k/2 and (k/2)^2", "[topologies][routing]") {
  for (int k : {4, 6, 8}) {
    INFO("k=" << k);
    const Topology t = fat_tree(k);
    const auto half = static_cast<std::uint64_t>(k / 2);
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, 1)) == 1);
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, k / 2)) == half);
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, k * k / 4)) == half * half);
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, k * k * k / 4 - 1)) == half * half);
  }
}

TEST_CASE("leaf-spine ECMP path count is the number of spines", "[topologies][routing]") {
  for (int spines : {1, 2, 4, 7}) {
    const Topology t = leaf_spine(spines);
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, 5)) == static_cast<std::uint64_t>(spines));
    CHECK(t.ecmp_path_count(nic(t, 0), nic(t, 1)) == 1);
    CHECK(t.route(nic(t, 0), nic(t, 5), 1).links.size() == 4);
  }
}

TEST_CASE("routes have consistent links and latency", "[topologies][routing]") {
  const Topology t = leaf_spine(4);
  const Route r = t.route(t.find("gpu-server-0/gpu0"), t.find("gpu-server-9/gpu0"), 3);
  REQUIRE(r.links.size() == 8);
  stormsim::sim::Time sum;
  for (std::size_t i = 0; i < r.links.size(); ++i) {
    sum += t.latency(r.links[i]);
    if (i > 0)
      CHECK(t.link_source(r.links[i]) == t.link_target(r.links[i - 1]));
  }
  CHECK(r.latency == sum);
  CHECK(t.link_target(r.links.back()) == t.find("gpu-server-9/gpu0"));
  CHECK(t.route(nic(t, 3), nic(t, 3), 1).links.empty());
  CHECK(t.link_name(r.links[2]) == "gpu-server-0/nic0->leaf0");
  CHECK(t.link_name(r.links[3]).starts_with("leaf0->spine"));
}

TEST_CASE("a moved topology hands its graph over and routes as before", "[topologies][routing]") {
  Topology a = leaf_spine(4);
  const Route before = a.route(nic(a, 0), nic(a, 5), 7);
  const auto* graph = &a.graph();
  const std::size_t vertices = a.vertex_count();
  Topology b = std::move(a);
  CHECK(&b.graph() == graph);  // not a copy
  CHECK(b.vertex_count() == vertices);
  CHECK(b.route(nic(b, 0), nic(b, 5), 7).links == before.links);
  Topology c;
  c = std::move(b);
  CHECK(&c.graph() == graph);
  CHECK(c.route(nic(c, 0), nic(c, 5), 7).links == before.links);
  // Moved-from topologies are empty, not broken.
  CHECK(a.vertex_count() == 0);
  CHECK(b.vertex_count() == 0);
}

TEST_CASE("ECMP hashing is deterministic per seed", "[topologies][routing][determinism]") {
  const Topology a = leaf_spine(4, "routing: {seed: 1}\n");
  const Topology b = leaf_spine(4, "routing: {seed: 1}\n");
  const Topology c = leaf_spine(4, "routing: {seed: 2}\n");
  int differ = 0;
  for (std::uint64_t label = 0; label < 200; ++label) {
    const Route ra = a.route(nic(a, 0), nic(a, 5), label);
    CHECK(ra.links == b.route(nic(b, 0), nic(b, 5), label).links);
    CHECK(ra.links == a.route(nic(a, 0), nic(a, 5), label).links);  // cached
    differ += ra.links != c.route(nic(c, 0), nic(c, 5), label).links ? 1 : 0;
  }
  // Another seed maps flows differently: about 3 in 4 change spine.
  CHECK(differ > 100);
  CHECK(spine_load(a, 1000) != spine_load(c, 1000));
  // Every spine is used, roughly evenly (binomial sd ~ 14 around 250).
  for (const auto& [spine, flows] : spine_load(a, 1000)) {
    INFO(spine);
    CHECK(flows > 180);
    CHECK(flows < 320);
  }
  CHECK(spine_load(a, 1000).size() == 4);
}

TEST_CASE("a cached path DAG makes the same choices as the distance tables",
          "[topologies][routing][determinism]") {
  const Topology t = fat_tree(8, "routing: {seed: 5}\n");
  const Vertex src = t.find("gpu-server-0/gpu0"), dst = t.find("gpu-server-100/gpu0");
  std::vector<std::vector<LinkId>> direct;
  std::set<std::vector<LinkId>> distinct;
  for (std::uint64_t label = 0; label < 64; ++label) {
    direct.push_back(t.route(src, dst, label).links);
    distinct.insert(direct.back());
  }
  CHECK(distinct.size() > 8);                  // of the 16 equal-cost paths
  REQUIRE(t.ecmp_path_count(src, dst) == 16);  // builds and caches the DAG
  for (std::uint64_t label = 0; label < 64; ++label)
    CHECK(t.route(src, dst, label).links == direct[label]);
}

TEST_CASE("routes do not depend on what was routed before", "[topologies][routing][determinism]") {
  // The router memoizes recent routes, the next hops toward recent
  // destinations and the distances to the last destination, and caches path
  // DAGs when paths are counted: none of it may change a route. One topology
  // answers 3,000 mixed queries (repeats, shared destinations, counts in
  // between), then 3,000 to any GPU (more vertex and destination pairs than
  // the next-hop cache has slots); each must match a fresh one.
  const Topology shared = fat_tree(8, "routing: {seed: 3}\n");
  const std::size_t n = shared.vertex_count();
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  std::vector<Vertex> gpus;
  for (Vertex v = 0; v < n; ++v) {
    if (shared.kind(v) == stormsim::topo::VertexKind::kGpu)
      gpus.push_back(v);
  }
  REQUIRE(gpus.size() > 100);
  int checked = 0;
  for (int i = 0; i < 6000; ++i) {
    const Vertex src = gpus[next() % gpus.size()];
    // First few destinations and labels, so that memo hits and shared
    // targets occur.
    const Vertex dst = gpus[next() % (i < 3000 ? 16 : gpus.size())];
    const std::uint64_t label = next() % 8;
    if (next() % 10 == 0)
      CHECK(shared.ecmp_path_count(src, dst) >= 1);
    const Route got = shared.route(src, dst, label);
    if (i % 10 == 0) {  // a fresh topology per check is slow; every tenth
      const Topology fresh = fat_tree(8, "routing: {seed: 3}\n");
      const Route want = fresh.route(src, dst, label);
      CHECK(got.links == want.links);
      CHECK(got.latency == want.latency);
      ++checked;
    }
  }
  CHECK(checked == 600);

  // Many flows of one pair: more labels than the memo has slots, routed in
  // opposite orders by two topologies, give the same paths.
  const Topology up = fat_tree(8, "routing: {seed: 3}\n");
  const Topology down = fat_tree(8, "routing: {seed: 3}\n");
  const Vertex a = gpus.front(), b = gpus.back();
  constexpr std::uint64_t kLabels = 3000;
  std::vector<std::vector<LinkId>> ascending(kLabels), descending(kLabels);
  for (std::uint64_t l = 0; l < kLabels; ++l)
    ascending[l] = up.route(a, b, l).links;
  for (std::uint64_t l = kLabels; l-- > 0;)
    descending[l] = down.route(a, b, l).links;
  for (std::uint64_t l = 0; l < kLabels; ++l)
    CHECK(up.route(a, b, l).links == ascending[l]);
  CHECK(ascending == descending);
  CHECK(std::set<std::vector<LinkId>>(ascending.begin(), ascending.end()).size() == 16);

  // Vertex 0 as the very first destination of a router.
  const Topology first = fat_tree(8, "routing: {seed: 3}\n");
  CHECK(first.route(b, 0, 1).links == up.route(b, 0, 1).links);
  CHECK_FALSE(first.route(b, 0, 1).links.empty());
}

TEST_CASE("per-flow hashing collides where spraying does not", "[topologies][routing]") {
  // Four flows from four servers under leaf 0 to four under leaf 1, over
  // four spines: hashing puts two on one spine with probability 1 - 4!/4^4.
  int seeds_with_collision = 0;
  for (int seed = 0; seed < 10; ++seed) {
    const Topology t = leaf_spine(4, fmt::format("routing: {{seed: {}}}\n", seed));
    const std::map<std::string, int> load = spine_load(t, 4);
    seeds_with_collision += load.size() < 4 ? 1 : 0;
  }
  CHECK(seeds_with_collision >= 5);

  const Topology spray = leaf_spine(4, "routing: {policy: spray, spray_paths: 8}\n");
  const std::vector<Route> paths = spray.routes(nic(spray, 0), nic(spray, 5), 42);
  REQUIRE(paths.size() == 4);  // all four equal-cost paths, once each
  std::set<std::string> spines;
  for (const Route& r : paths)
    spines.insert(switches_on(spray, r).at(1));
  CHECK(spines.size() == 4);

  const Topology fewer = leaf_spine(4, "routing: {policy: spray, spray_paths: 2}\n");
  CHECK(fewer.routes(nic(fewer, 0), nic(fewer, 5), 42).size() == 2);
  const Topology per_flow = leaf_spine(4);
  CHECK(per_flow.routes(nic(per_flow, 0), nic(per_flow, 5), 42).size() == 1);
}

TEST_CASE("per-chunk hashing moves chunks of one flow", "[topologies][routing]") {
  const Topology chunked = leaf_spine(4, "routing: {policy: per_chunk}\n");
  const Topology per_flow = leaf_spine(4);
  std::set<std::vector<LinkId>> chunk_paths, flow_paths;
  for (std::uint64_t chunk = 0; chunk < 64; ++chunk) {
    chunk_paths.insert(chunked.route(nic(chunked, 0), nic(chunked, 5), 9, chunk).links);
    flow_paths.insert(per_flow.route(nic(per_flow, 0), nic(per_flow, 5), 9, chunk).links);
  }
  CHECK(chunk_paths.size() == 4);
  CHECK(flow_paths.size() == 1);
}

TEST_CASE("rail-optimized: same-rail traffic stays under one leaf", "[topologies][routing]") {
  // Two SUs of 4 servers with 4 GPUs and 4 NICs on 2 PCIe switches.
  const Topology t = from_yaml(R"(
gpu_servers: {count: 8, gpus: 4, nics: 4, pcie_switches: 2, drives: 0}
fabric: {generator: rail_optimized, servers_per_su: 4, spines: 2}
)");
  for (int rail = 0; rail < 4; ++rail) {
    const Vertex a = t.find(fmt::format("gpu-server-0/nic{}", rail));
    const Vertex b = t.find(fmt::format("gpu-server-3/nic{}", rail));
    const Route r = t.route(a, b, 1);
    CHECK(r.links.size() == 2);
    CHECK(switches_on(t, r) == std::vector<std::string>{fmt::format("su0/rail{}", rail)});
    // Another SU: up to a spine and down the same rail.
    const Route far = t.route(a, t.find(fmt::format("gpu-server-5/nic{}", rail)), 1);
    CHECK(switches_on(t, far).size() == 3);
    CHECK(switches_on(t, far).back() == fmt::format("su1/rail{}", rail));
  }
  // GPU to GPU of the same index in the same SU: every hashed path crosses
  // exactly one switch, a rail leaf.
  for (std::uint64_t label = 0; label < 50; ++label) {
    const Route r = t.route(t.find("gpu-server-1/gpu2"), t.find("gpu-server-2/gpu2"), label);
    const std::vector<std::string> sw = switches_on(t, r);
    REQUIRE(sw.size() == 1);
    CHECK(sw[0].starts_with("su0/rail"));
  }
}

TEST_CASE("paths never cross a third server", "[topologies][routing]") {
  // Through gpu-server-1 (a, nic0, cpu0, nic1, b) leaf a reaches leaf b in 4
  // links; the switches alone need 5. Hosts do not forward, so the route
  // takes the switches.
  const Topology t = detour_through_a_server();
  const Vertex src = t.find("gpu-server-0/gpu0"), dst = t.find("gpu-server-2/gpu0");
  for (std::uint64_t label = 0; label < 20; ++label) {
    CHECK(switches_on(t, t.route(src, dst, label)) ==
          std::vector<std::string>{"a", "c", "d", "e", "f", "b"});
  }
  // Two NICs to leave by, two to arrive by.
  CHECK(t.ecmp_path_count(src, dst) == 4);
}

namespace {

// Hop distances from src by breadth-first search over the whole graph,
// stepping as routes may: inside a server, from a server into the fabric,
// and from the fabric only into dst's server.
std::vector<int> allowed_distances(const Topology& t, Vertex src, Vertex dst) {
  const std::uint32_t target = t.server_of(dst);
  std::vector<int> d(t.vertex_count(), -1);
  std::vector<Vertex> queue{src};
  d[src] = 0;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const Vertex u = queue[i];
    const std::uint32_t su = t.server_of(u);
    for (auto [e, end] = boost::out_edges(u, t.graph()); e != end; ++e) {
      const Vertex w = boost::target(*e, t.graph());
      const std::uint32_t sw = t.server_of(w);
      const bool ok =
          su == sw ||
          (su == stormsim::topo::kNoServer ? sw == target : sw == stormsim::topo::kNoServer);
      if (ok && d[w] < 0) {
        d[w] = d[u] + 1;
        queue.push_back(w);
      }
    }
  }
  return d;
}

}  // namespace

TEST_CASE("routes are as short as a search that skips third servers", "[topologies][routing]") {
  // Servers whose ports are all as far from a destination (another SU, a
  // storage leaf) and servers whose ports are not (a NIC on each leaf, a NIC
  // that is itself the destination), switches as ends, and vertices inside
  // servers as ends.
  const Topology rail = from_yaml(R"(
gpu_servers: {count: 8, gpus: 4, nics: 4, pcie_switches: 2, drives: 0}
storage_servers: {count: 4}
fabric: {generator: rail_optimized, servers_per_su: 4, spines: 2, storage_servers_per_leaf: 2}
)");
  const Topology custom = detour_through_a_server();
  for (const Topology* t : {&rail, &custom}) {
    const auto n = static_cast<std::uint64_t>(t->vertex_count());
    int checked = 0;
    for (std::uint64_t q = 0; q < 600; ++q) {
      const Vertex src = stormsim::topo::mix64(q) % n;
      const Vertex dst = stormsim::topo::mix64(q + 7919) % n;
      const std::vector<int> d = allowed_distances(*t, src, dst);
      if (src == dst || d[dst] < 0)
        continue;
      INFO(t->vertex_name(src) << " -> " << t->vertex_name(dst));
      for (std::uint64_t label = 0; label < 3; ++label) {
        const Route& r = t->route(src, dst, q * 3 + label);
        REQUIRE(static_cast<int>(r.links.size()) == d[dst]);
        Vertex at = src;
        for (LinkId l : r.links) {
          REQUIRE(t->link_source(l) == at);
          at = t->link_target(l);
        }
        CHECK(at == dst);
      }
      ++checked;
    }
    CHECK(checked > 300);
  }
}

TEST_CASE("unknown nodes name the nearest one", "[topologies][routing]") {
  const Topology t = leaf_spine(2);
  CHECK_THROWS_WITH(t.find("gpu-server-1/nic9"), Catch::Contains("no node `gpu-server-1/nic9`") &&
                                                     Catch::Contains("did you mean"));
  CHECK_THROWS_WITH(t.group("gpu"), Catch::Contains("did you mean `gpus`?"));
}

TEST_CASE("destination routing: one path per destination, consecutive ones on distinct spines",
          "[topologies][routing]") {
  const Topology t = leaf_spine(4, "routing: {policy: destination}\n");
  // From leaf 0 to the 12 servers of leaves 1-3: server d goes up to spine
  // d mod 4, whatever the source and the flow label.
  std::map<std::string, int> per_spine;
  for (int d = 4; d < 16; ++d) {
    const Route r = t.route(nic(t, 0), nic(t, d), 1);
    const std::string spine = switches_on(t, r).at(1);
    CHECK(spine == fmt::format("spine{}", d % 4));
    ++per_spine[spine];
    for (int src = 0; src < 4; ++src) {
      for (std::uint64_t label : {0u, 7u, 99u})
        CHECK(switches_on(t, t.route(nic(t, src), nic(t, d), label)).at(1) == spine);
    }
  }
  CHECK(per_spine.size() == 4);
  for (const auto& [spine, n] : per_spine)
    CHECK(n == 3);
  CHECK(t.routing().policy == stormsim::topo::RoutePolicy::kDestination);
}

// MaxMinSolver: closed-form allocations, and properties on random systems
// (feasibility, max-min optimality, incremental == from scratch).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "sim/flow/max_min.h"

namespace {

using stormsim::sim::flow::ConstraintId;
using stormsim::sim::flow::FlowId;
using stormsim::sim::flow::MaxMinSolver;

constexpr double kRel = 1e-9;

double approx_rate(const MaxMinSolver& s, FlowId f) {
  return s.rate(f);
}

TEST_CASE("one bottleneck shared by N flows gives each C/N") {
  for (int n : {1, 2, 7, 1000}) {
    MaxMinSolver s;
    const ConstraintId link = s.add_constraint(100e9);
    std::vector<FlowId> flows;
    for (int i = 0; i < n; ++i)
      flows.push_back(s.add_flow(std::vector<ConstraintId>{link}));
    s.solve();
    for (FlowId f : flows)
      CHECK(approx_rate(s, f) == Approx(100e9 / n).epsilon(kRel));
    CHECK(s.load(link) == Approx(100e9).epsilon(kRel));
    CHECK(s.is_bottleneck(link));
  }
}

TEST_CASE("parking lot: the long flow gets half of the narrowest link") {
  // Links 0..3 in a chain; a long flow over all of them and one short flow per
  // link. Link 1 is the narrowest (40): it splits 20/20, and every other link
  // gives its short flow what the long flow leaves.
  const std::vector<double> caps{100, 40, 70, 100};
  MaxMinSolver s;
  std::vector<ConstraintId> chain;
  for (double c : caps)
    chain.push_back(s.add_constraint(c));
  const FlowId long_flow = s.add_flow(chain);
  std::vector<FlowId> shorts;
  for (ConstraintId c : chain)
    shorts.push_back(s.add_flow(std::vector<ConstraintId>{c}));
  s.solve();
  CHECK(s.rate(long_flow) == Approx(20).epsilon(kRel));
  CHECK(s.rate(shorts[0]) == Approx(80).epsilon(kRel));
  CHECK(s.rate(shorts[1]) == Approx(20).epsilon(kRel));
  CHECK(s.rate(shorts[2]) == Approx(50).epsilon(kRel));
  CHECK(s.rate(shorts[3]) == Approx(80).epsilon(kRel));
}

TEST_CASE("N-to-1 incast: the receiver is shared, a slow sender keeps its own rate") {
  const int n = 16;
  MaxMinSolver s;
  const ConstraintId rx = s.add_constraint(50e9);
  std::vector<FlowId> flows;
  for (int i = 0; i < n; ++i) {
    // Sender 0 has a 1 GB/s NIC, under the fair share of 50/16 GB/s.
    const ConstraintId tx = s.add_constraint(i == 0 ? 1e9 : 25e9);
    flows.push_back(s.add_flow(std::vector<ConstraintId>{tx, rx}));
  }
  s.solve();
  CHECK(s.rate(flows[0]) == Approx(1e9).epsilon(kRel));
  for (int i = 1; i < n; ++i)
    CHECK(s.rate(flows[i]) == Approx(49e9 / (n - 1)).epsilon(kRel));
  CHECK(s.load(rx) == Approx(50e9).epsilon(kRel));
}

TEST_CASE("two flows with different rate caps") {
  MaxMinSolver s;
  const ConstraintId link = s.add_constraint(10);
  SECTION("one cap under the fair share") {
    const FlowId a = s.add_flow(std::vector<ConstraintId>{link}, 1.0, 2);
    const FlowId b = s.add_flow(std::vector<ConstraintId>{link}, 1.0, 100);
    s.solve();
    CHECK(s.rate(a) == Approx(2).epsilon(kRel));
    CHECK(s.rate(b) == Approx(8).epsilon(kRel));
  }
  SECTION("both caps under the fair share leave the link idle") {
    const FlowId a = s.add_flow(std::vector<ConstraintId>{link}, 1.0, 2);
    const FlowId b = s.add_flow(std::vector<ConstraintId>{link}, 1.0, 3);
    s.solve();
    CHECK(s.rate(a) == Approx(2).epsilon(kRel));
    CHECK(s.rate(b) == Approx(3).epsilon(kRel));
    CHECK_FALSE(s.is_bottleneck(link));
  }
}

TEST_CASE("weighted sharing splits in proportion to weights") {
  MaxMinSolver s;
  const ConstraintId link = s.add_constraint(12);
  const FlowId a = s.add_flow(std::vector<ConstraintId>{link}, 1.0);
  const FlowId b = s.add_flow(std::vector<ConstraintId>{link}, 3.0);
  s.solve();
  CHECK(s.rate(a) == Approx(3).epsilon(kRel));
  CHECK(s.rate(b) == Approx(9).epsilon(kRel));
  SECTION("a capped heavy flow leaves the rest to the light one") {
    const FlowId c = s.add_flow(std::vector<ConstraintId>{link}, 2.0, 1.0);
    s.solve();
    // c is capped at 1; a and b share 11 as 1:3.
    CHECK(s.rate(c) == Approx(1).epsilon(kRel));
    CHECK(s.rate(a) == Approx(11.0 / 4).epsilon(kRel));
    CHECK(s.rate(b) == Approx(33.0 / 4).epsilon(kRel));
  }
}

TEST_CASE("a 2:1 oversubscribed leaf uplink halves cross-leaf traffic") {
  // Four hosts at 100 Gb/s under one leaf with a 200 Gb/s uplink (2:1). Each
  // host sends one flow off the leaf; host 0 also sends one within it.
  MaxMinSolver s;
  const ConstraintId uplink = s.add_constraint(200);
  const ConstraintId remote_rx = s.add_constraint(400);
  std::vector<ConstraintId> tx;
  for (int i = 0; i < 4; ++i)
    tx.push_back(s.add_constraint(100));
  const ConstraintId local_rx = s.add_constraint(100);
  std::vector<FlowId> cross;
  for (int i = 0; i < 4; ++i)
    cross.push_back(s.add_flow(std::vector<ConstraintId>{tx[i], uplink, remote_rx}));
  const FlowId local = s.add_flow(std::vector<ConstraintId>{tx[0], local_rx});
  s.solve();
  for (FlowId f : cross)
    CHECK(s.rate(f) == Approx(50).epsilon(kRel));
  CHECK(s.rate(local) == Approx(50).epsilon(kRel));
  CHECK(s.is_bottleneck(uplink));
  CHECK_FALSE(s.is_bottleneck(remote_rx));
}

TEST_CASE("removing flows and changing capacity re-share the freed bandwidth") {
  MaxMinSolver s;
  const ConstraintId a = s.add_constraint(10);
  const ConstraintId b = s.add_constraint(10);
  const FlowId f1 = s.add_flow(std::vector<ConstraintId>{a, b});
  const FlowId f2 = s.add_flow(std::vector<ConstraintId>{a});
  const FlowId f3 = s.add_flow(std::vector<ConstraintId>{b});
  s.solve();
  CHECK(s.rate(f1) == Approx(5));
  s.remove_flow(f2);
  auto changed = s.solve();
  // f1 is still held to 5 by b; nothing changes.
  CHECK(changed.empty());
  s.remove_flow(f3);
  changed = s.solve();
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == f1);
  CHECK(s.rate(f1) == Approx(10));
  s.set_capacity(b, 4);
  s.solve();
  CHECK(s.rate(f1) == Approx(4));
  CHECK_FALSE(s.contains(f2));
}

TEST_CASE("bad input is refused with a reason") {
  MaxMinSolver s;
  const ConstraintId a = s.add_constraint(1);
  CHECK_THROWS_WITH(s.add_constraint(-1), Catch::Contains(">= 0"));
  CHECK_THROWS_WITH(s.add_flow(std::vector<ConstraintId>{a, a}), Catch::Contains("twice"));
  CHECK_THROWS_WITH(s.add_flow(std::vector<ConstraintId>{7}), Catch::Contains("only 1 exist"));
  CHECK_THROWS_WITH(s.add_flow(std::vector<ConstraintId>{a}, 0.0), Catch::Contains("weight"));
}

// --- properties on random systems -------------------------------------------

struct Spec {
  std::vector<ConstraintId> path;
  double weight;
  double cap;
};

// Checks feasibility and max-min optimality of the solver's current rates.
void check_max_min(const MaxMinSolver& s,
                   const std::map<std::uint64_t, std::pair<FlowId, Spec>>& flows) {
  std::vector<double> load(s.constraint_count(), 0.0);
  std::vector<double> max_level(s.constraint_count(), 0.0);
  for (const auto& [key, fs] : flows) {
    const auto& [id, spec] = fs;
    const double r = s.rate(id);
    REQUIRE(r >= 0);
    REQUIRE(r <= spec.cap * (1 + kRel));
    for (ConstraintId c : spec.path) {
      load[c] += r;
      max_level[c] = std::max(max_level[c], r / spec.weight);
    }
  }
  for (ConstraintId c = 0; c < s.constraint_count(); ++c) {
    INFO("constraint " << c);
    REQUIRE(load[c] <= s.capacity(c) * (1 + kRel) + 1e-9);
    REQUIRE(s.load(c) == Approx(load[c]).epsilon(1e-9).margin(1e-6));
  }
  for (const auto& [key, fs] : flows) {
    const auto& [id, spec] = fs;
    const double r = s.rate(id);
    if (r >= spec.cap * (1 - kRel))
      continue;  // held by its own cap
    bool bottlenecked = false;
    for (ConstraintId c : spec.path) {
      const bool saturated = load[c] >= s.capacity(c) * (1 - 1e-7);
      if (saturated && r / spec.weight >= max_level[c] * (1 - 1e-7))
        bottlenecked = true;
    }
    INFO("flow " << key << " rate " << r);
    REQUIRE(bottlenecked);
  }
}

TEST_CASE("random systems: feasible, max-min optimal, incremental equals from scratch") {
  // Solves by how they went: within the first round's region (local), grown
  // over more rounds, or re-solving every flow (whole).
  std::uint64_t local = 0, grown = 0, whole = 0;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    auto uniform = [&](double lo, double hi) {
      return std::uniform_real_distribution<double>(lo, hi)(rng);
    };
    auto pick = [&](std::size_t n) {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };

    // Rates in GB/s, as in real fabrics: loads are exact to 2^-24 B/s, so
    // residuals are exact to ~1e-17 relative at this scale.
    const double g = 1e9;
    MaxMinSolver s;
    // Most systems are large and start populated, so that a batch of
    // changes reaches a small part of them and the region grows lazily.
    const bool large = pick(4) != 0;
    const std::size_t n_constraints = large ? 40 + pick(160) : 3 + pick(40);
    for (std::size_t i = 0; i < n_constraints; ++i)
      s.add_constraint(uniform(1, 100) * g);
    std::map<std::uint64_t, std::pair<FlowId, Spec>> flows;
    std::uint64_t next_key = 0;

    auto add_random_flow = [&] {
      Spec spec;
      const std::size_t len = 1 + pick(std::min<std::size_t>(5, n_constraints));
      while (spec.path.size() < len) {
        const auto c = static_cast<ConstraintId>(pick(n_constraints));
        if (std::find(spec.path.begin(), spec.path.end(), c) == spec.path.end())
          spec.path.push_back(c);
      }
      spec.weight = pick(2) == 0 ? 1.0 : uniform(0.25, 4);
      spec.cap = pick(4) == 0 ? uniform(0.1, 30) * g : MaxMinSolver::kUnlimited;
      flows[next_key++] = {s.add_flow(spec.path, spec.weight, spec.cap), spec};
    };

    const std::size_t initial = large ? 20 + pick(300) : 0;
    for (std::size_t i = 0; i < initial; ++i)
      add_random_flow();
    s.solve();

    for (int step = 0; step < 40; ++step) {
      std::map<std::uint64_t, double> before;
      for (const auto& [key, fs] : flows)
        before[key] = s.rate(fs.first);
      // A batch of changes, solved at once.
      const std::size_t batch = 1 + pick(6);
      for (std::size_t i = 0; i < batch; ++i) {
        const std::size_t what = pick(10);
        if (what < 5 || flows.empty()) {
          add_random_flow();
        } else if (what < 9) {
          auto it = std::next(flows.begin(), static_cast<long>(pick(flows.size())));
          s.remove_flow(it->second.first);
          before.erase(it->first);
          flows.erase(it);
        } else {
          s.set_capacity(static_cast<ConstraintId>(pick(n_constraints)), uniform(1, 100) * g);
        }
      }
      const MaxMinSolver::Stats stats = s.stats();
      const auto changed = s.solve();
      check_max_min(s, flows);
      if (s.stats().whole_rounds > stats.whole_rounds)
        ++whole;
      else if (s.stats().rounds > stats.rounds + 1)
        ++grown;
      else if (s.stats().rounds > stats.rounds)
        ++local;

      // Only reported flows changed rate.
      for (const auto& [key, fs] : flows) {
        const bool reported = std::find(changed.begin(), changed.end(), fs.first) != changed.end();
        if (!reported && before.count(key))
          REQUIRE(s.rate(fs.first) == before[key]);
      }

      // A fresh solver over the same system gives the same rates.
      MaxMinSolver fresh;
      for (ConstraintId c = 0; c < s.constraint_count(); ++c)
        fresh.add_constraint(s.capacity(c));
      std::vector<std::pair<FlowId, FlowId>> pairs;
      for (const auto& [key, fs] : flows)
        pairs.emplace_back(fs.first,
                           fresh.add_flow(fs.second.path, fs.second.weight, fs.second.cap));
      fresh.solve();
      for (const auto& [inc, scratch] : pairs)
        REQUIRE(s.rate(inc) == Approx(fresh.rate(scratch)).epsilon(1e-9));
    }
    CHECK(s.stats().solves > 0);
  }
  INFO("local " << local << ", grown " << grown << ", whole " << whole);
  CHECK(local > 100);
  CHECK(grown > 100);
  CHECK(whole > 100);
}

TEST_CASE("a change whose region holds a quarter of the flows re-solves them all at once") {
  // a (10) carries f0..f3; f3 also crosses b (10), which g0 and g1 share.
  // Rates: 2.5 on a; g0 and g1 get (10 - 2.5) / 2 = 3.75, limited by b.
  // Removing f0 re-solves a's flows; f3's rate on b changes, so lazily b's
  // flows need a second round.
  MaxMinSolver s;
  const ConstraintId a = s.add_constraint(10);
  const ConstraintId b = s.add_constraint(10);
  std::vector<FlowId> f;
  for (int i = 0; i < 3; ++i)
    f.push_back(s.add_flow(std::vector<ConstraintId>{a}));
  f.push_back(s.add_flow(std::vector<ConstraintId>{a, b}));
  const FlowId g0 = s.add_flow(std::vector<ConstraintId>{b});
  const FlowId g1 = s.add_flow(std::vector<ConstraintId>{b});
  // Flows elsewhere, each alone on its own constraint.
  std::vector<FlowId> others;
  const int n_others = GENERATE(0, 20);
  for (int i = 0; i < n_others; ++i)
    others.push_back(s.add_flow(std::vector<ConstraintId>{s.add_constraint(1)}));
  s.solve();
  REQUIRE(s.rate(g0) == Approx(3.75));

  const MaxMinSolver::Stats before = s.stats();
  s.remove_flow(f[0]);
  s.solve();
  CHECK(s.rate(f[1]) == Approx(10.0 / 3));
  CHECK(s.rate(f[3]) == Approx(10.0 / 3));
  CHECK(s.rate(g0) == Approx(10.0 / 3));
  CHECK(s.rate(g1) == Approx(10.0 / 3));
  for (FlowId o : others)
    CHECK(s.rate(o) == Approx(1));
  const auto rounds = s.stats().rounds - before.rounds;
  const auto whole = s.stats().whole_rounds - before.whole_rounds;
  const auto visited = s.stats().flows_visited - before.flows_visited;
  if (n_others == 0) {
    // 3 of 5 live flows: all five at once, in one round.
    CHECK(rounds == 1);
    CHECK(whole == 1);
    CHECK(visited == 5);
  } else {
    // 3 of 25: a's flows, then b's joins them; the others are left alone.
    CHECK(rounds == 2);
    CHECK(whole == 0);
    CHECK(visited == 3 + 5);
  }
}

TEST_CASE("a change behind a constraint that limits nobody stays local") {
  // 100 independent receivers, each with 8 senders, all crossing one big
  // backbone that never saturates. Removing one flow re-solves only its
  // receiver's flows.
  MaxMinSolver s;
  const ConstraintId backbone = s.add_constraint(1e12);
  std::vector<FlowId> flows;
  for (int r = 0; r < 100; ++r) {
    const ConstraintId rx = s.add_constraint(8);
    for (int k = 0; k < 8; ++k) {
      const ConstraintId tx = s.add_constraint(100);
      flows.push_back(s.add_flow(std::vector<ConstraintId>{tx, backbone, rx}));
    }
  }
  s.solve();
  CHECK(s.rate(flows[0]) == Approx(1));
  const auto visited_before = s.stats().flows_visited;
  s.remove_flow(flows[0]);
  const auto changed = s.solve();
  CHECK(changed.size() == 7);
  CHECK(s.rate(flows[1]) == Approx(8.0 / 7));
  CHECK(s.stats().flows_visited - visited_before == 7);
  CHECK_FALSE(s.is_bottleneck(backbone));
}

}  // namespace

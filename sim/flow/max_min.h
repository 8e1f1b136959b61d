// MaxMinSolver: the weighted max-min fair bandwidth allocation of flows over
// capacity constraints, kept up to date incrementally.
//
// A flow crosses an ordered list of constraints (link directions, PCIe lane
// groups, a drive's write bandwidth, a service's CPU). Its rate is w * level,
// where the level rises for every flow alike until the flow meets a saturated
// constraint or its own rate cap (progressive filling; Bertsekas & Gallager,
// "Data Networks", 2nd ed., section 6.5.2). The allocation is unique.
//
// Incremental re-solve. Like SimGrid's lmm with selective update, only the
// part of the system that a change can reach is re-solved, but the reach is
// found lazily. The region starts as the changed flows and the constraints
// whose flows must all be re-solved (one a departing flow was limited by, one
// whose capacity fell). Its flows are re-solved with everyone else's rates
// held fixed; constraints on the rim of the region (crossed by region flows
// and by others) take part with their residual capacity. A rim constraint
// joins the region, and the solve repeats, when
//  - it limits a region flow at a level below some outsider's share there
//    (the outsider's rate is no longer max-min fair), or
//  - it limited someone before and a region flow's rate on it changed (its
//    outsiders may now deserve more or less).
// Otherwise every outsider keeps a valid bottleneck, so the result equals a
// from-scratch solve (tests check this on random systems). Where changes keep
// spreading (an all-to-all mesh of saturated NICs) the region floods through
// every bottleneck after a few rounds instead, and where a round's region
// already holds a quarter of the live flows, every flow is re-solved in that
// round (no rim, so no further round). Constraint loads are sums of
// rates quantized to 2^-24 B/s held in 128-bit integers, so the residual of a
// constraint with a million flows is exact and does not drift over millions
// of updates.
//
// Changes (flows added or removed, capacities changed) accumulate until
// solve(), which re-solves all of them at once and reports the flows whose
// rate changed.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace stormsim::sim::flow {

using ConstraintId = std::uint32_t;

// A flow's handle. `index` is dense (a slot reused after removal), so callers
// can keep per-flow data in a vector; `generation` tells reuses apart.
struct FlowId {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 never names a live flow
  explicit operator bool() const { return generation != 0; }
  friend bool operator==(FlowId, FlowId) = default;
};

class MaxMinSolver {
 public:
  static constexpr double kUnlimited = std::numeric_limits<double>::infinity();

  // Capacities are in bytes per second (any consistent unit works), >= 0 and
  // finite.
  ConstraintId add_constraint(double capacity);
  void set_capacity(ConstraintId c, double capacity);
  double capacity(ConstraintId c) const { return hot_[c].capacity; }
  std::size_t constraint_count() const { return constraints_.size(); }

  // Adds a flow over `path` (constraints may not repeat). `weight` > 0 scales
  // its share; `cap` bounds its rate. Its rate is 0 until the next solve().
  FlowId add_flow(std::span<const ConstraintId> path, double weight = 1.0, double cap = kUnlimited);
  void remove_flow(FlowId f);
  bool contains(FlowId f) const {
    return f.index < flows_.size() && flows_[f.index].generation == f.generation &&
           f.generation != 0;
  }
  double rate(FlowId f) const { return flows_[f.index].rate; }
  double weight(FlowId f) const { return flows_[f.index].weight; }
  std::size_t flow_count() const { return live_flows_; }
  // One past the largest flow index in use: the size for per-flow arrays.
  std::size_t flow_capacity() const { return flows_.size(); }
  std::span<const ConstraintId> path(FlowId f) const;
  // The flows crossing `c`, in no particular order.
  std::vector<FlowId> flows_on(ConstraintId c) const;
  std::size_t flow_count_on(ConstraintId c) const { return constraints_[c].elems.size(); }

  // Re-solves everything changed since the last call. Returns the flows whose
  // rate changed (valid until the next call).
  std::span<const FlowId> solve();
  // Re-solves every flow, as if none had a rate yet. For tests and checks.
  std::span<const FlowId> solve_all();
  bool has_changes() const { return !seeds_.empty() || !dirty_.empty(); }

  // The constraints the last solve() looked at, with their load and
  // bottleneck state from before it: enough to integrate loads over time.
  struct Before {
    ConstraintId constraint;
    double load;
    bool bottleneck;
  };
  std::span<const Before> last_touched() const { return before_; }

  // The sum of the rates of the flows crossing `c`.
  double load(ConstraintId c) const;
  // True when, in the current solution, some flow's rate is limited by `c`.
  bool is_bottleneck(ConstraintId c) const { return hot_[c].bottleneck; }

  struct Stats {
    std::uint64_t solves = 0;         // solve() calls that had work to do
    std::uint64_t rounds = 0;         // progressive-filling passes (>= solves)
    std::uint64_t flows_visited = 0;  // flow re-solves, summed over rounds
    std::uint64_t whole_rounds = 0;   // rounds that re-solved every flow
    std::uint64_t rate_changes = 0;   // flows reported as changed
  };
  const Stats& stats() const { return stats_; }

 private:
  using Load = __int128;  // sum of rates in units of 2^-24 B/s
  static Load quantize(double rate);

  struct Elem {  // a flow's entry on a constraint
    std::uint32_t flow;
    std::uint32_t hop;  // position in the flow's path
  };
  struct Hop {  // a constraint on a flow's path
    ConstraintId constraint;
    std::uint32_t slot;  // position of the flow's Elem in the constraint
  };
  struct Constraint {
    std::vector<Elem> elems;
  };
  // Everything a solve reads and writes per constraint but its flow list,
  // in one cache line: the filling loop reaches constraints in random order.
  struct alignas(64) Hot {
    Load load = 0;  // sum of the quantized rates of the flows crossing it
    double capacity = 0;
    double avail = 0;
    double wsum = 0;
    double level = 0;         // the share it was picked at
    std::uint32_t epoch = 0;  // the scratch below is valid while it is the solver's
    std::uint32_t unfrozen = 0;
    bool bottleneck = false;
    bool dirty = false;
    bool in_region = false;  // else on the rim
    bool picked = false;
    bool rates_changed = false;  // a region flow's rate on it changed
  };
  static_assert(sizeof(Hot) == 64);
  struct Flow {
    std::uint32_t generation = 0;
    std::uint32_t hops_begin = 0;
    std::uint32_t hop_count = 0;
    std::uint32_t next_free = 0;
    double weight = 1;
    double cap = kUnlimited;
    double rate = 0;
    // Scratch.
    std::uint32_t epoch = 0;
    bool frozen = false;
    double new_rate = 0;
  };

  void mark_dirty(ConstraintId c);
  std::uint32_t allocate_hops(std::uint32_t n);
  void free_hops(std::uint32_t begin, std::uint32_t n);
  // One round: gathers the region, fills it, and returns false when a rim
  // constraint turned bottleneck (it is marked dirty for the next round).
  bool solve_round();
  void visit_flow(std::uint32_t f);
  void visit_constraint(ConstraintId c);
  void freeze(std::uint32_t f, double rate);
  void commit();

  std::vector<Constraint> constraints_;
  std::vector<Hot> hot_;
  std::vector<Load> region_load_;  // per constraint, scratch
  std::vector<Flow> flows_;
  std::vector<Hop> hops_;
  std::vector<std::vector<std::uint32_t>> free_hops_;  // by path length
  std::uint32_t free_flow_ = 0xffffffffu;
  std::size_t live_flows_ = 0;

  std::vector<FlowId> seeds_;        // flows added since the last solve
  std::vector<ConstraintId> dirty_;  // constraints whose flows must be re-solved
  std::uint32_t epoch_ = 0;
  std::uint32_t round_ = 0;  // rounds so far in this solve()
  bool flood_ = false;       // this round grows through every bottleneck
  bool whole_ = false;       // this round re-solves every flow
  std::vector<std::uint32_t> region_flows_;
  std::vector<ConstraintId> touched_;  // region and rim constraints
  std::vector<ConstraintId> frontier_;
  std::vector<FlowId> changed_;
  std::vector<Before> before_;
  Stats stats_;
};

}  // namespace stormsim::sim::flow

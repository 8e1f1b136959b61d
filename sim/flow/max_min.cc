#include "sim/flow/max_min.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace stormsim::sim::flow {

namespace {

constexpr double kLoadScale = 16777216.0;  // 2^24: quantization steps per B/s
constexpr std::uint32_t kNoFlow = 0xffffffffu;
// Measured on a checkpoint where slow NICs couple the storage servers (the
// SimGrid peer benchmark with uneven NICs, N = 1,024): flooding at once
// re-solved 45M flows, growing lazily for up to 8 rounds 3.5M.
constexpr std::uint32_t kLazyRounds = 8;
// Rate differences below this (relative) are rounding, not change.
constexpr double kSameRate = 1e-12;

bool same_rate(double a, double b) {
  return std::abs(a - b) <= kSameRate * std::max(std::abs(a), std::abs(b));
}

// A heap entry: a key and an id packed into one 128-bit integer that orders
// as (key, id) does, so that a comparison is one integer compare. Ties go by
// id, so the order never depends on the heap. The key's bits are mapped to
// an unsigned integer of the same order (sign bit flipped for positives,
// every bit for negatives); +0.0 stands for -0.0.
class HeapEntry {
 public:
  HeapEntry(double key, std::uint32_t id) {
    auto k = std::bit_cast<std::uint64_t>(key + 0.0);
    k = (k >> 63) != 0 ? ~k : k | kSign;
    bits_ = (static_cast<unsigned __int128>(k) << 64) | id;
  }
  double key() const {
    const auto k = static_cast<std::uint64_t>(bits_ >> 64);
    return std::bit_cast<double>((k & kSign) != 0 ? k & ~kSign : ~k);
  }
  std::uint32_t id() const { return static_cast<std::uint32_t>(bits_); }
  bool operator>(const HeapEntry& o) const { return bits_ > o.bits_; }

 private:
  static constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  unsigned __int128 bits_;
};
// Min-heap on (key, id).
struct Later {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const { return a > b; }
};

void pop(std::vector<HeapEntry>& h) {
  std::pop_heap(h.begin(), h.end(), Later{});
  h.pop_back();
}
// Replaces the top with `e`, no smaller, and sifts it down: a re-keyed entry
// costs one pass instead of a pop and a push.
void replace_top(std::vector<HeapEntry>& h, HeapEntry e) {
  const std::size_t n = h.size();
  std::size_t i = 0;
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && h[child] > h[child + 1])
      ++child;
    if (!(e > h[child]))
      break;
    h[i] = h[child];
    i = child;
  }
  h[i] = e;
}

// Heaps are per-thread scratch: a solver may be used from any thread, one at
// a time, and reusing their storage saves an allocation per solve.
thread_local std::vector<HeapEntry> constraint_heap;
thread_local std::vector<HeapEntry> cap_heap;

// A load back in B/s; through int64 while it fits (the 128-bit conversion
// is a library call).
double to_rate(__int128 load) {
  if (load >= std::numeric_limits<std::int64_t>::min() &&
      load <= std::numeric_limits<std::int64_t>::max())
    return static_cast<double>(static_cast<std::int64_t>(load)) / kLoadScale;
  return static_cast<double>(load) / kLoadScale;
}

}  // namespace

MaxMinSolver::Load MaxMinSolver::quantize(double rate) {
  const double q = std::nearbyint(rate * kLoadScale);
  // Through int64 while it fits (rates up to ~550 GB/s): much cheaper than
  // the 128-bit conversion.
  if (q < 9.2e18)
    return static_cast<std::int64_t>(q);
  return static_cast<Load>(q);
}

ConstraintId MaxMinSolver::add_constraint(double capacity) {
  if (!(capacity >= 0) || !std::isfinite(capacity))
    throw std::invalid_argument("constraint capacity must be finite and >= 0, got " +
                                std::to_string(capacity));
  constraints_.emplace_back();
  hot_.emplace_back();
  hot_.back().capacity = capacity;
  region_load_.push_back(0);
  return static_cast<ConstraintId>(constraints_.size() - 1);
}

void MaxMinSolver::set_capacity(ConstraintId c, double capacity) {
  if (!(capacity >= 0) || !std::isfinite(capacity))
    throw std::invalid_argument("constraint capacity must be finite and >= 0, got " +
                                std::to_string(capacity));
  Hot& k = hot_.at(c);
  // More room on a constraint that limits nobody changes nothing.
  if (capacity < k.capacity || k.bottleneck)
    mark_dirty(c);
  k.capacity = capacity;
}

void MaxMinSolver::mark_dirty(ConstraintId c) {
  Hot& k = hot_[c];
  if (!k.dirty) {
    k.dirty = true;
    dirty_.push_back(c);
  }
}

std::uint32_t MaxMinSolver::allocate_hops(std::uint32_t n) {
  if (n < free_hops_.size() && !free_hops_[n].empty()) {
    const std::uint32_t begin = free_hops_[n].back();
    free_hops_[n].pop_back();
    return begin;
  }
  const auto begin = static_cast<std::uint32_t>(hops_.size());
  hops_.resize(hops_.size() + n);
  return begin;
}

void MaxMinSolver::free_hops(std::uint32_t begin, std::uint32_t n) {
  if (n == 0)
    return;
  if (free_hops_.size() <= n)
    free_hops_.resize(n + 1);
  free_hops_[n].push_back(begin);
}

FlowId MaxMinSolver::add_flow(std::span<const ConstraintId> path, double weight, double cap) {
  if (!(weight > 0) || !std::isfinite(weight))
    throw std::invalid_argument("flow weight must be finite and > 0, got " +
                                std::to_string(weight));
  if (!(cap >= 0))
    throw std::invalid_argument("flow rate cap must be >= 0, got " + std::to_string(cap));
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] >= constraints_.size())
      throw std::invalid_argument("flow path names constraint " + std::to_string(path[i]) +
                                  ", but only " + std::to_string(constraints_.size()) + " exist");
    for (std::size_t j = 0; j < i; ++j) {
      if (path[j] == path[i])
        throw std::invalid_argument("flow path crosses constraint " + std::to_string(path[i]) +
                                    " twice");
    }
  }

  std::uint32_t f;
  if (free_flow_ != kNoFlow) {
    f = free_flow_;
    free_flow_ = flows_[f].next_free;
  } else {
    f = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
    flows_.back().generation = 1;
  }
  Flow& fl = flows_[f];
  fl.weight = weight;
  fl.cap = cap;
  fl.rate = 0;
  fl.epoch = 0;
  fl.hop_count = static_cast<std::uint32_t>(path.size());
  fl.hops_begin = allocate_hops(fl.hop_count);
  for (std::uint32_t i = 0; i < fl.hop_count; ++i) {
    Constraint& k = constraints_[path[i]];
    hops_[fl.hops_begin + i] = {path[i], static_cast<std::uint32_t>(k.elems.size())};
    k.elems.push_back({f, i});
  }
  ++live_flows_;
  const FlowId id{f, fl.generation};
  seeds_.push_back(id);
  return id;
}

void MaxMinSolver::remove_flow(FlowId id) {
  if (!contains(id))
    throw std::invalid_argument("remove_flow: no such flow");
  Flow& fl = flows_[id.index];
  // A flow with no constraints may have an infinite rate; it has no load.
  const Load q = fl.hop_count > 0 ? quantize(fl.rate) : 0;
  for (std::uint32_t i = 0; i < fl.hop_count; ++i) {
    const Hop h = hops_[fl.hops_begin + i];
    Constraint& k = constraints_[h.constraint];
    hot_[h.constraint].load -= q;
    const Elem last = k.elems.back();
    k.elems[h.slot] = last;
    hops_[flows_[last.flow].hops_begin + last.hop].slot = h.slot;
    k.elems.pop_back();
    // Only a constraint that limited someone has anything to give back.
    if (hot_[h.constraint].bottleneck)
      mark_dirty(h.constraint);
  }
  free_hops(fl.hops_begin, fl.hop_count);
  fl.hop_count = 0;
  fl.rate = 0;
  fl.weight = 0;  // marks the slot free
  if (++fl.generation == 0)
    fl.generation = 1;
  fl.next_free = free_flow_;
  free_flow_ = id.index;
  --live_flows_;
}

std::span<const ConstraintId> MaxMinSolver::path(FlowId f) const {
  // Hops hold (constraint, slot) pairs; callers want constraints only.
  thread_local std::vector<ConstraintId> out;
  const Flow& fl = flows_[f.index];
  out.clear();
  for (std::uint32_t i = 0; i < fl.hop_count; ++i)
    out.push_back(hops_[fl.hops_begin + i].constraint);
  return out;
}

std::vector<FlowId> MaxMinSolver::flows_on(ConstraintId c) const {
  std::vector<FlowId> out;
  out.reserve(constraints_[c].elems.size());
  for (const Elem& e : constraints_[c].elems)
    out.push_back({e.flow, flows_[e.flow].generation});
  return out;
}

double MaxMinSolver::load(ConstraintId c) const {
  return to_rate(hot_[c].load);
}

std::span<const FlowId> MaxMinSolver::solve() {
  changed_.clear();
  before_.clear();
  if (!has_changes())
    return changed_;
  ++stats_.solves;
  round_ = 0;
  flood_ = false;
  while (!solve_round()) {
    // A change still spreading after a few rounds is likely to reach most
    // of its component: take it all at once rather than hop by hop.
    if (++round_ >= kLazyRounds)
      flood_ = true;
  }
  commit();
  return changed_;
}

std::span<const FlowId> MaxMinSolver::solve_all() {
  for (ConstraintId c = 0; c < constraints_.size(); ++c)
    mark_dirty(c);
  for (std::uint32_t f = 0; f < flows_.size(); ++f) {
    if (flows_[f].hop_count == 0 && contains({f, flows_[f].generation}))
      seeds_.push_back({f, flows_[f].generation});
  }
  return solve();
}

[[gnu::always_inline]] inline void MaxMinSolver::visit_constraint(ConstraintId c) {
  Hot& k = hot_[c];
  if (k.epoch == epoch_)
    return;
  k.epoch = epoch_;
  k.in_region = k.dirty || (flood_ && k.bottleneck);
  k.picked = false;
  k.rates_changed = false;
  k.unfrozen = 0;
  k.wsum = 0;
  region_load_[c] = 0;
  touched_.push_back(c);
  if (k.in_region)
    frontier_.push_back(c);
}

void MaxMinSolver::visit_flow(std::uint32_t f) {
  Flow& fl = flows_[f];
  if (fl.epoch == epoch_)
    return;
  fl.epoch = epoch_;
  fl.frozen = false;
  fl.new_rate = 0;
  region_flows_.push_back(f);
  // Gather and count in one pass: each constraint's share of region flows,
  // their weight, and the load they carry now (what outsiders leave is the
  // capacity less the rest).
  // In a whole round no flow is outside: no region load to leave out.
  const Load q = fl.hop_count > 0 && !whole_ ? quantize(fl.rate) : 0;
  for (std::uint32_t i = 0; i < fl.hop_count; ++i) {
    const ConstraintId c = hops_[fl.hops_begin + i].constraint;
    visit_constraint(c);
    Hot& k = hot_[c];
    ++k.unfrozen;
    k.wsum += fl.weight;
    if (!whole_)
      region_load_[c] += q;
  }
}

void MaxMinSolver::freeze(std::uint32_t f, double rate) {
  Flow& fl = flows_[f];
  fl.frozen = true;
  fl.new_rate = rate;
  const bool changed = !same_rate(rate, fl.rate);
  for (std::uint32_t i = 0; i < fl.hop_count; ++i) {
    Hot& k = hot_[hops_[fl.hops_begin + i].constraint];
    k.avail = std::max(0.0, k.avail - rate);
    k.wsum -= fl.weight;
    if (--k.unfrozen == 0)
      k.wsum = 0;
    // A region flow's rate on it changed (see the rim check in solve_round).
    k.rates_changed = k.rates_changed || changed;
  }
}

bool MaxMinSolver::solve_round() {
  if (++epoch_ == 0) {
    // Wrapped after 2^32 rounds: old stamps could match again.
    for (Hot& k : hot_)
      k.epoch = 0;
    for (Flow& f : flows_)
      f.epoch = 0;
    epoch_ = 1;
  }
  ++stats_.rounds;
  whole_ = false;
  region_flows_.clear();
  touched_.clear();
  frontier_.clear();

  // Gather the region: dirty constraints, new flows, and everything reachable
  // from them through constraints that bottleneck someone.
  for (ConstraintId c : dirty_)
    visit_constraint(c);
  for (FlowId s : seeds_) {
    if (contains(s))
      visit_flow(s.index);
  }
  while (!frontier_.empty()) {
    const ConstraintId c = frontier_.back();
    frontier_.pop_back();
    for (const Elem& e : constraints_[c].elems)
      visit_flow(e.flow);
  }
  // A lazy region (new flows and those on dirty constraints) that already
  // holds a quarter of the live flows is likely to spread to most of the
  // rest, re-solving them round after round: a checkpoint whose storage
  // NICs are all saturated took 3 to 5 rounds per solve, each over nearly
  // every flow. Re-solving every flow instead costs at most four times this
  // gather and settles in this round: with no flow outside the region, no
  // constraint is on its rim.
  if (!flood_ && region_flows_.size() * 4 > live_flows_) {
    ++stats_.whole_rounds;
    whole_ = true;
    for (std::uint32_t f = 0; f < flows_.size(); ++f) {
      if (flows_[f].weight > 0)  // a free slot's weight is 0
        visit_flow(f);
    }
    frontier_.clear();
    for (ConstraintId c : touched_)
      hot_[c].in_region = true;
  }
  stats_.flows_visited += region_flows_.size();

  // What each touched constraint has left once the flows outside the region
  // keep their rates. Inside the region that is the whole capacity.
  std::vector<HeapEntry>& heap = constraint_heap;
  std::vector<HeapEntry>& caps = cap_heap;
  heap.clear();
  caps.clear();
  for (ConstraintId c : touched_) {
    Hot& k = hot_[c];
    const double outside = whole_ ? 0.0 : to_rate(k.load - region_load_[c]);
    k.avail = std::max(0.0, k.capacity - outside);
    if (k.unfrozen > 0)
      heap.emplace_back(k.avail / k.wsum, c);
  }
  std::make_heap(heap.begin(), heap.end(), Later{});
  // Flows still to freeze: once none is left, every constraint still in the
  // heap has nothing to give, and the filling is over.
  std::size_t unfrozen = region_flows_.size();
  for (std::uint32_t f : region_flows_) {
    const Flow& fl = flows_[f];
    if (fl.hop_count == 0) {
      freeze(f, fl.cap);
      --unfrozen;
    } else if (fl.cap != kUnlimited) {
      caps.emplace_back(fl.cap / fl.weight, f);
    }
  }
  std::make_heap(caps.begin(), caps.end(), Later{});

  // Progressive filling. Freezing flows only raises the other constraints'
  // fair shares, so a stale heap key is a lower bound: re-key it when popped.
  // Most constraints never limit anyone (their flows all freeze elsewhere,
  // at lower levels): stopping once every flow is frozen spares popping them.
  while (unfrozen > 0 && !heap.empty()) {
    const HeapEntry top = heap.front();
    const std::uint32_t c = top.id();
    Hot& k = hot_[c];
    if (k.unfrozen == 0) {
      pop(heap);
      continue;
    }
    const double level = k.avail / k.wsum;
    if (level > top.key()) {
      replace_top(heap, {level, c});
      continue;
    }
    if (!caps.empty() && caps.front().key() <= level) {
      const std::uint32_t f = caps.front().id();
      pop(caps);
      if (!flows_[f].frozen) {
        freeze(f, flows_[f].cap);
        --unfrozen;
      }
      continue;
    }
    pop(heap);
    k.picked = true;
    k.level = level;
    for (const Elem& e : constraints_[c].elems) {
      const Flow& fl = flows_[e.flow];
      if (fl.epoch == epoch_ && !fl.frozen) {
        freeze(e.flow, fl.weight * level);
        --unfrozen;
      }
    }
  }

  // Rim constraints where outsiders may have lost their max-min fairness
  // join the region for another round (see the header). freeze() marked
  // where a frozen flow's rate changed; a flow left unfrozen (none, while
  // every unfrozen flow keeps a constraint in the heap) stays at rate 0.
  if (unfrozen > 0) {
    for (std::uint32_t f : region_flows_) {
      const Flow& fl = flows_[f];
      if (fl.frozen || same_rate(fl.new_rate, fl.rate))
        continue;
      for (std::uint32_t i = 0; i < fl.hop_count; ++i)
        hot_[hops_[fl.hops_begin + i].constraint].rates_changed = true;
    }
  }
  bool settled = true;
  for (ConstraintId c : touched_) {
    const Hot& k = hot_[c];
    if (k.in_region)
      continue;
    bool grow = k.bottleneck && k.rates_changed;
    if (!grow && k.picked) {
      const double fair = k.level * (1 + kSameRate);
      for (const Elem& e : constraints_[c].elems) {
        const Flow& out = flows_[e.flow];
        if (out.epoch != epoch_ && out.rate / out.weight > fair) {
          grow = true;
          break;
        }
      }
    }
    if (grow) {
      mark_dirty(c);
      settled = false;
    }
  }
  return settled;
}

void MaxMinSolver::commit() {
  before_.clear();
  for (ConstraintId c : touched_)
    before_.push_back({c, load(c), hot_[c].bottleneck});
  for (std::uint32_t f : region_flows_) {
    Flow& fl = flows_[f];
    if (fl.new_rate == fl.rate)
      continue;
    if (fl.hop_count > 0) {
      const Load dq = quantize(fl.new_rate) - quantize(fl.rate);
      for (std::uint32_t i = 0; i < fl.hop_count; ++i)
        hot_[hops_[fl.hops_begin + i].constraint].load += dq;
    }
    fl.rate = fl.new_rate;
    changed_.push_back({f, fl.generation});
  }
  for (ConstraintId c : touched_) {
    Hot& k = hot_[c];
    // In the region every flow was re-solved: picked is exact. On the rim,
    // outsiders limited there before still are.
    k.bottleneck = k.in_region ? k.picked : (k.bottleneck || k.picked);
    k.dirty = false;
  }
  dirty_.clear();
  seeds_.clear();
  stats_.rate_changes += changed_.size();
}

}  // namespace stormsim::sim::flow

// Counter: how many things happened and how much they added up to.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>

#include "sim/stats/neumaier_sum.h"
#include "sim/time.h"

namespace stormsim::sim::stats {

// Counts events and sums a value carried by each (ops and bytes, say), and
// turns both into rates over a span of simulated time.
class Counter {
 public:
  // One event carrying `value` (bytes moved, say; 1 when only the count matters).
  void add(double value = 1.0) {
    ++count_;
    sum_.add(value);
  }
  // `events` events carrying `value` in total.
  void add(std::uint64_t events, double value) {
    count_ += events;
    sum_.add(value);
  }

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_.value(); }
  // Mean value per event; 0 when nothing was counted.
  double mean() const;
  // Events per second over `span`; 0 for an empty or negative span, so a
  // zero-length run reports no rate instead of infinity.
  double count_rate(Time span) const;
  // Sum per second over `span` (bytes/s when the values are bytes); 0 for an
  // empty or negative span.
  double sum_rate(Time span) const;

  void merge(const Counter& other);
  void clear() { *this = Counter(); }

  // {"count", "sum"}.
  nlohmann::json to_json() const;
  // {"count", "count_rate", "sum", "sum_rate"} with rates per second over `span`.
  nlohmann::json to_json(Time span) const;

 private:
  std::uint64_t count_ = 0;
  detail::NeumaierSum sum_;
};

}  // namespace stormsim::sim::stats

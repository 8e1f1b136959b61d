// NeumaierSum: compensated floating-point summation for long-running totals.
#pragma once

#include <cmath>

namespace stormsim::sim::stats::detail {

// A sum that carries its rounding error separately (Neumaier's variant of
// Kahan summation), so months of small additions to a large total (bytes
// moved, value-nanoseconds integrated) stay exact to the last bit instead of
// drifting by one ulp per addition.
class NeumaierSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    compensation_ += std::abs(sum_) >= std::abs(x) ? (sum_ - t) + x : (x - t) + sum_;
    sum_ = t;
  }
  void add(const NeumaierSum& other) {
    add(other.sum_);
    add(other.compensation_);
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

}  // namespace stormsim::sim::stats::detail

// Named, independent random streams derived from one seed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace stormsim::sim {

// xoshiro256++ with portable distributions written out here: std::
// distributions differ between standard libraries, and results must be
// bit-identical on every machine for the same seed.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject);
  // throws std::invalid_argument for n == 0.
  std::uint64_t below(std::uint64_t n);
  // Exponential with the given mean (inverse transform).
  double exponential(double mean);
  // Normal by the Box-Muller transform (no cached second value, so a draw
  // always consumes exactly two uniforms).
  double normal(double mean, double stddev);
  double lognormal(double mu, double sigma);
  bool bernoulli(double p) { return uniform() < p; }

 private:
  std::uint64_t s_[4];
};

// FNV-1a, 64-bit: a hash stable across platforms and releases (unlike
// std::hash), for stream names and for keys written to files.
std::uint64_t fnv1a(std::string_view s);

// Streams are keyed by name: each stream's seed is a hash of (master seed,
// name), so adding a stream never shifts another stream's draws.
class RngStreams {
 public:
  explicit RngStreams(std::uint64_t seed) : seed_(seed) {}

  std::uint64_t seed() const { return seed_; }
  // The stream called `name`, created on first use. The reference stays valid
  // for the lifetime of this object.
  Rng& stream(std::string_view name);

  // The seed a stream of this name gets; exposed for tests and reports.
  static std::uint64_t derive_seed(std::uint64_t master, std::string_view name);

 private:
  std::uint64_t seed_;
  std::map<std::string, Rng, std::less<>> streams_;
};

}  // namespace stormsim::sim

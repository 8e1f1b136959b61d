// Deterministic mixing for ECMP hashing: the same inputs and seed give the
// same path on every machine and standard library (std::hash does not).
#pragma once

#include <cstdint>

namespace stormsim::topo {

// The splitmix64 finalizer (Steele, Lea and Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014): a bijection on 64 bits whose
// output bits each depend on every input bit.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Folds `value` into the running hash `h`; order matters.
constexpr std::uint64_t hash_combine(std::uint64_t h, std::uint64_t value) {
  return mix64(h ^ mix64(value));
}

// Maps a hash uniformly onto [0, n) without division (Lemire's
// multiply-shift on the top 32 bits); n must be below 2^32.
constexpr std::uint32_t hash_below(std::uint64_t h, std::uint32_t n) {
  return static_cast<std::uint32_t>(((h >> 32) * static_cast<std::uint64_t>(n)) >> 32);
}

}  // namespace stormsim::topo

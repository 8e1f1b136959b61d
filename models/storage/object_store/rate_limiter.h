// S3-style request-rate limiting: a token bucket per partitioned prefix on
// the server side, and the client's exponential backoff with full jitter.
//
// Amazon S3 scales request rates per partitioned prefix ("Best practices
// design patterns: optimizing Amazon S3 performance": at least 3,500
// PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per prefix);
// above that it answers 503 SlowDown and clients retry after a delay drawn
// by "full jitter" (AWS Architecture Blog, "Exponential Backoff And
// Jitter", M. Brooker, 2015): uniform in [0, min(cap, base x 2^attempt)].
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sim/random.h"
#include "sim/time.h"

namespace stormsim::models::storage {

// A token bucket: `rate` tokens per second, holding at most `burst`. A
// request takes one token or is refused; refused requests take nothing.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // Whether a request arriving at `now` is admitted (times never go back).
  bool admit(sim::Time now);
  double tokens() const { return tokens_; }

 private:
  double rate_;
  double burst_;
  double tokens_;
  sim::Time last_{};
};

// The partitioned prefix a key's requests count against: the key up to its
// last '/' (depth 0), or its first `depth` '/'-separated components.
std::string rate_prefix(std::string_view key, int depth);

// One token bucket per prefix and request class (writes: PUT, POST, DELETE;
// reads: GET, HEAD, LIST), created on a prefix's first request.
class PrefixLimiter {
 public:
  PrefixLimiter(double write_rate, double read_rate, sim::Time burst, int depth)
      : write_rate_(write_rate), read_rate_(read_rate), burst_(burst), depth_(depth) {}
  bool admit(std::string_view key, bool write, sim::Time now);
  double rate(bool write) const { return write ? write_rate_ : read_rate_; }
  std::string prefix(std::string_view key) const { return rate_prefix(key, depth_); }
  std::size_t prefixes() const { return buckets_.size(); }

 private:
  double write_rate_, read_rate_;
  sim::Time burst_;
  int depth_;
  std::map<std::pair<std::string, bool>, TokenBucket> buckets_;
};

// The delay after failed attempt number `attempt` (1 for the first):
// uniform in [0, min(cap, base x 2^attempt)], drawn from `rng`. With base
// 1 s this is the AWS SDKs' standard-mode backoff, random(0,1) x 2^i s.
sim::Time full_jitter(sim::Rng& rng, sim::Time base, sim::Time cap, int attempt);

}  // namespace stormsim::models::storage

#include "models/storage/object_store/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace stormsim::models::storage {

bool TokenBucket::admit(sim::Time now) {
  tokens_ = std::min(burst_, tokens_ + (now - last_).seconds() * rate_);
  last_ = now;
  // A tolerance for the rounding of nanosecond refills: a token due at this
  // instant counts as here.
  if (tokens_ < 1.0 - 1e-9)
    return false;
  tokens_ -= 1.0;
  return true;
}

std::string rate_prefix(std::string_view key, int depth) {
  const auto last = key.rfind('/');
  const std::string_view up_to_last =
      last == std::string_view::npos ? std::string_view() : key.substr(0, last);
  if (depth <= 0)
    return std::string(up_to_last);
  std::size_t pos = 0, end = 0;
  for (int i = 0; i < depth; ++i) {
    const auto slash = key.find('/', pos);
    // A key shallower than `depth` counts against its whole directory.
    if (slash == std::string_view::npos)
      return std::string(up_to_last);
    end = slash;
    pos = slash + 1;
  }
  return std::string(key.substr(0, end));
}

bool PrefixLimiter::admit(std::string_view key, bool write, sim::Time now) {
  const double rate = write ? write_rate_ : read_rate_;
  // At least one token, so a bucket can admit anything at all.
  const double burst = std::max(1.0, rate * burst_.seconds());
  auto [it, fresh] = buckets_.try_emplace({rate_prefix(key, depth_), write}, rate, burst);
  (void)fresh;
  return it->second.admit(now);
}

sim::Time full_jitter(sim::Rng& rng, sim::Time base, sim::Time cap, int attempt) {
  const double ceiling =
      std::min(cap.seconds(), base.seconds() * std::ldexp(1.0, std::min(attempt, 62)));
  return sim::Time::from_seconds(rng.uniform(0.0, ceiling));
}

}  // namespace stormsim::models::storage

// The entry every event-queue design hands back, and the key mapping they share.
#pragma once

#include <cstdint>

namespace stormsim::sim {

// One pending event: when it fires and the engine's handle for it (an index
// into the engine's own node pool, so the queue never owns event objects).
struct QueueEntry {
  std::int64_t time;
  std::uint32_t payload;
};

namespace queues {

// Flips the sign bit so that int64 order becomes uint64 order: bucketed designs
// can then subtract and XOR keys without signed overflow, whatever the times.
constexpr std::uint64_t to_key(std::int64_t time) {
  return static_cast<std::uint64_t>(time) ^ (std::uint64_t{1} << 63);
}
constexpr std::int64_t from_key(std::uint64_t key) {
  return static_cast<std::int64_t>(key ^ (std::uint64_t{1} << 63));
}

}  // namespace queues
}  // namespace stormsim::sim

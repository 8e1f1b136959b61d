// The identifiers a topology hands out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stormsim::topo {

// A vertex: Boost.Graph's vertex descriptor (vecS storage), dense from 0.
using Vertex = std::size_t;

// A directed link, dense from 0 to directed_link_count() - 1. The two
// directions of a full-duplex link are 2e and 2e + 1, so `l ^ 1` reverses.
using LinkId = std::uint32_t;

// The server of a vertex outside every server (a switch).
inline constexpr std::uint32_t kNoServer = 0xffffffffu;

}  // namespace stormsim::topo

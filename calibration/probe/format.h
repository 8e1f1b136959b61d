// Short human-readable numbers for the probe's terminal lines (the JSON keeps
// exact values).
#pragma once

#include <cstdint>
#include <string>

namespace stormsim::probe {

// 4096 -> "4KiB", 1048576 -> "1MiB", 1000 -> "1000B".
std::string size_text(std::uint64_t bytes);
// Bytes per second in decimal units, like fio's "MB/s": "461.8MB/s".
std::string rate_text(double bytes_per_sec);
// 112747.6 -> "112.7k".
std::string count_text(double n);
// Nanoseconds as the most readable unit: "850ns", "126.5us", "12.3ms".
std::string ns_text(double ns);

}  // namespace stormsim::probe

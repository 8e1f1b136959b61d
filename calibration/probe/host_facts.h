// Facts about the machine a probe ran on: what a reader of probe.json needs
// to compare two runs (kernel, CPU, libraries, the disk under the target).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace stormsim::probe {

// {"hostname", "kernel": {sysname, release, version, machine}, "cpu": {model,
// logical_cores, physical_cores, sockets}, "memory_bytes", "libraries":
// {liburing, libibverbs, librdmacm, rdma_core}, "io_uring_disabled" (the
// sysctl, when the kernel has it), "memlock_limit_bytes" (null: unlimited),
// "cap_ipc_lock"}.
nlohmann::json host_facts();

// The filesystem holding `path` (a file, a directory, or a block device
// itself) and the block device behind it, as far as /proc/self/mountinfo and
// /sys tell: {"filesystem": {type, mount_point, source, size_bytes,
// free_bytes}, "device": block_device_facts()}. Parts that cannot be found
// are left out.
nlohmann::json storage_facts(const std::string& path);

// /sys/dev/block/MAJOR:MINOR: {name, model, vendor, firmware, driver,
// transport, rotational, logical_block_size, physical_block_size, size_bytes,
// members (dm, md: the devices beneath)}; a partition resolves to its disk
// (and says "partition"). nullopt when /sys has no such device.
std::optional<nlohmann::json> block_device_facts(unsigned major, unsigned minor);

// Versions the probe was built against (pkg-config): "2.3", "44.0".
std::string liburing_version();
std::string rdma_core_version();

}  // namespace stormsim::probe

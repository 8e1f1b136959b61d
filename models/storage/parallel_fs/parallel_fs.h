// What the Lustre-like and DAOS-like file systems share: a path -> file id
// index for open(), a stable hash for placement, the order in which their
// targets (OSTs, engine targets) are laid out over the servers, and a
// counter of bounded parallel work.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "models/storage/service.h"
#include "sim/task.h"

namespace stormsim::models::storage::parallel_fs {

// FNV-1a of `s` mixed with `salt`: the same on every machine (std::hash is
// not), so placements are reproducible.
std::uint64_t stable_hash(std::string_view s, std::uint64_t salt = 0);
// splitmix64 of (a, b): a hash of two integers (a dkey from an object and a
// chunk index).
std::uint64_t mix(std::uint64_t a, std::uint64_t b);

// Interleaves per-server lists round-robin: the first target of server 0,
// of server 1, ..., then the second of each. Consecutive indices land on
// different servers, as Lustre's round-robin OST allocator orders OSTs
// (lod_qos.c, lod_qos_calc_rr) and DAOS's placement spreads a group's shards
// over fault domains. Returns (server, local index) per global index.
std::vector<std::pair<std::size_t, std::size_t>> interleave(const std::vector<std::size_t>& counts);

// A StorageService whose files are found by path on open.
class FileSystem : public StorageService {
 public:
  using StorageService::StorageService;

 protected:
  // The id of an existing file; a StorageError naming the path if none.
  FileId id_of(const std::string& path) const;
  // add_file / remove_file, keeping the index.
  FileId add(const std::string& path, std::uint64_t placement);
  void forget(const std::string& path);

 private:
  std::map<std::string, FileId, std::less<>> ids_;
};

// Runs `work(i)` for i in [0, n) with at most `width` at a time, in index
// order; returns when all have finished.
sim::Task<void> bounded(std::size_t n, std::size_t width,
                        std::function<sim::Task<void>(std::size_t)> work);

}  // namespace stormsim::models::storage::parallel_fs

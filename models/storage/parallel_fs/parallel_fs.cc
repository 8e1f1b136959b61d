#include "models/storage/parallel_fs/parallel_fs.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/when.h"

namespace stormsim::models::storage::parallel_fs {

std::uint64_t stable_hash(std::string_view s, std::uint64_t salt) {
  std::uint64_t h = 14695981039346656037ULL ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return mix(h, salt);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::pair<std::size_t, std::size_t>> interleave(
    const std::vector<std::size_t>& counts) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  const std::size_t most = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  for (std::size_t local = 0; local < most; ++local) {
    for (std::size_t s = 0; s < counts.size(); ++s) {
      if (local < counts[s])
        out.emplace_back(s, local);
    }
  }
  return out;
}

FileId FileSystem::id_of(const std::string& path) const {
  auto it = ids_.find(path);
  if (it == ids_.end())
    throw StorageError(fmt::format("{}: no such file `{}`", name(), path));
  return it->second;
}

FileId FileSystem::add(const std::string& path, std::uint64_t placement) {
  const FileId id = add_file(path, placement);
  ids_[path] = id;
  return id;
}

void FileSystem::forget(const std::string& path) {
  remove_file(path);
  ids_.erase(path);
}

namespace {

struct Queue {
  std::size_t next = 0, n = 0;
  std::function<sim::Task<void>(std::size_t)>* work = nullptr;
};

sim::Task<void> worker(Queue& q) {
  while (q.next < q.n) {
    const std::size_t i = q.next++;
    co_await (*q.work)(i);
  }
}

}  // namespace

sim::Task<void> bounded(std::size_t n, std::size_t width,
                        std::function<sim::Task<void>(std::size_t)> work) {
  Queue q{0, n, &work};
  std::vector<sim::Task<void>> workers;
  for (std::size_t w = 0; w < std::min(n, std::max<std::size_t>(width, 1)); ++w)
    workers.push_back(worker(q));
  co_await sim::when_all(std::move(workers));
}

}  // namespace stormsim::models::storage::parallel_fs

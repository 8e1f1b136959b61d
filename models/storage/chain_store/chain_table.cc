#include "models/storage/chain_store/chain_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace stormsim::models::storage {

ChainTable::ChainTable(const StorageService& svc, int length) : length_(length) {
  const std::size_t servers = svc.servers().size();
  if (static_cast<std::size_t>(length) > servers)
    throw std::invalid_argument(
        fmt::format("a chain of {} replicas needs {} distinct servers; the service has {}", length,
                    length, servers));
  std::size_t most = 0;
  for (std::size_t s = 0; s < servers; ++s)
    most = std::max(most, svc.drives_of(s).drives.size());
  std::vector<Target> order;  // server-interleaved
  for (std::size_t d = 0; d < most; ++d) {
    for (std::size_t s = 0; s < servers; ++s) {
      if (d < svc.drives_of(s).drives.size())
        order.push_back(Target{s, svc.drives_of(s).drives[d]});
    }
  }
  if (order.size() < static_cast<std::size_t>(length))
    throw std::invalid_argument(
        fmt::format("a chain of {} replicas needs {} drives; the service has {}", length, length,
                    order.size()));
  chains_.resize(order.size());
  for (std::size_t c = 0; c < order.size(); ++c) {
    std::set<std::size_t> seen;
    for (int j = 0; j < length; ++j) {
      const Target& t = order[(c + static_cast<std::size_t>(j)) % order.size()];
      if (!seen.insert(t.server).second)
        throw std::invalid_argument(fmt::format(
            "chain {} would hold two replicas on one server: give the servers equal numbers "
            "of drives, or shorten the chain",
            c));
      chains_[c].push_back(t);
    }
  }
}

std::vector<int> ChainTable::memberships(const StorageService& svc) const {
  std::vector<int> out(svc.total_drives(), 0);
  std::vector<std::size_t> first(svc.servers().size(), 0);
  for (std::size_t s = 1; s < first.size(); ++s)
    first[s] = first[s - 1] + svc.drives_of(s - 1).drives.size();
  for (const auto& chain : chains_) {
    for (const Target& t : chain) {
      const auto& drives = svc.drives_of(t.server).drives;
      const auto it = std::find(drives.begin(), drives.end(), t.drive);
      ++out[first[t.server] + static_cast<std::size_t>(it - drives.begin())];
    }
  }
  return out;
}

}  // namespace stormsim::models::storage

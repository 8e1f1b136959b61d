// The chain table of a chain-replicated store: which targets hold each
// chain's replicas, head first.
//
// A target is a drive of one of the service's servers. As in 3FS's data
// placement (docs/design_notes.md, "Data placement"), every drive joins
// several chains: with the drives listed server-interleaved (drive 0 of
// every server, then drive 1 of every server, ...), chain c is the
// `length` consecutive entries starting at position c, wrapping around. So
// there are as many chains as drives, every drive is in exactly `length`
// chains (once as head, once as tail, ...), and the replicas of a chain sit
// on `length` distinct servers whenever the servers hold equal numbers of
// drives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/storage/replication.h"

namespace stormsim::models::storage {

class ChainTable {
 public:
  ChainTable() = default;
  // The table over `svc`'s drives; a std::invalid_argument (the caller turns
  // it into a ConfigError) when a chain cannot sit on distinct servers.
  ChainTable(const StorageService& svc, int length);

  std::size_t chains() const { return chains_.size(); }
  int length() const { return length_; }
  // The targets of chain `c`, head first.
  const std::vector<Target>& chain(std::size_t c) const { return chains_.at(c); }
  // How many chains each drive (by global index) belongs to.
  std::vector<int> memberships(const StorageService& svc) const;

 private:
  int length_ = 0;
  std::vector<std::vector<Target>> chains_;
};

}  // namespace stormsim::models::storage

// Storage-side faults as pure functions: whether data survives losing some
// of a stripe's fragments, and the traffic that rebuilds a lost drive or
// node. The lead wires these into a running simulation.
#pragma once

#include <string_view>

#include "models/storage/replication.h"

namespace stormsim::models::failures {

enum class Verdict { kSurvived, kDegraded, kLost };
std::string_view name(Verdict v);  // "survived", "degraded", "lost"

// Any protection scheme as "k data fragments, any k of k + m rebuild it":
// replication r is (1, r - 1), erasure coding k+m is (k, m), none is (1, 0).
struct ProtectionShape {
  int data_fragments = 1;
  int parity_or_extra_copies = 0;
  int fragments() const { return data_fragments + parity_or_extra_copies; }
};

// The shape of a storage service's protection, as far as acknowledged data
// is concerned: a chain of N is (1, N-1); a quorum N/W is (1, W-1), as an
// acknowledged write is only known to be on W replicas
// (Protection::tolerated_failures); EC k+m is (k, m); none is (1, 0).
ProtectionShape shape_of(const storage::Protection& p);

// The worst stripe lost `fragments_lost_in_worst_stripe` of its fragments:
// none -> survived; some, but no more than the extra ones -> degraded
// (readable, with less or no redundancy left until rebuilt); more -> lost.
Verdict verdict(const ProtectionShape& shape, int fragments_lost_in_worst_stripe);

// Bytes moved to rebuild `lost_bytes` of fragments (what a dead drive or
// node held): replication reads a surviving copy (lost_bytes) and writes a
// new one (lost_bytes); EC k+m reads k surviving fragments per lost one
// (k x lost_bytes) and writes the reconstructed fragment (lost_bytes);
// unprotected data cannot be rebuilt (0, 0).
struct Rebuild {
  double read_bytes = 0, write_bytes = 0;
  // Bytes crossing the network when the reads come from other servers and
  // the rebuilt fragment is written on yet another: read + write.
  double network_bytes() const { return read_bytes + write_bytes; }
};
Rebuild rebuild_traffic(const ProtectionShape& shape, double lost_bytes);

}  // namespace stormsim::models::failures

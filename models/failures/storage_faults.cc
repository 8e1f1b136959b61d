#include "models/failures/storage_faults.h"

#include <cassert>

namespace stormsim::models::failures {

std::string_view name(Verdict v) {
  switch (v) {
    case Verdict::kSurvived:
      return "survived";
    case Verdict::kDegraded:
      return "degraded";
    case Verdict::kLost:
      return "lost";
  }
  return "?";
}

ProtectionShape shape_of(const storage::Protection& p) {
  if (p.scheme == storage::Scheme::kErasure)
    return ProtectionShape{p.data, p.parity};
  return ProtectionShape{1, p.tolerated_failures()};
}

Verdict verdict(const ProtectionShape& shape, int fragments_lost_in_worst_stripe) {
  assert(shape.data_fragments >= 1 && shape.parity_or_extra_copies >= 0);
  assert(fragments_lost_in_worst_stripe >= 0);
  if (fragments_lost_in_worst_stripe == 0)
    return Verdict::kSurvived;
  if (fragments_lost_in_worst_stripe <= shape.parity_or_extra_copies)
    return Verdict::kDegraded;
  return Verdict::kLost;
}

Rebuild rebuild_traffic(const ProtectionShape& shape, double lost_bytes) {
  assert(lost_bytes >= 0);
  if (shape.parity_or_extra_copies == 0)
    return {};
  return Rebuild{static_cast<double>(shape.data_fragments) * lost_bytes, lost_bytes};
}

}  // namespace stormsim::models::failures

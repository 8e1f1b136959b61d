// Storage-side faults: protection verdicts and rebuild traffic.
#include <catch2/catch.hpp>

#include "models/failures/storage_faults.h"

namespace f = stormsim::models::failures;
namespace st = stormsim::models::storage;
using f::Verdict;

TEST_CASE("verdicts for none, 3-way replication and EC 8+2", "[failures]") {
  const f::ProtectionShape none{1, 0}, rep3{1, 2}, ec82{8, 2};
  const Verdict expect_none[] = {Verdict::kSurvived, Verdict::kLost, Verdict::kLost,
                                 Verdict::kLost};
  const Verdict expect_rep3[] = {Verdict::kSurvived, Verdict::kDegraded, Verdict::kDegraded,
                                 Verdict::kLost};
  const Verdict expect_ec82[] = {Verdict::kSurvived, Verdict::kDegraded, Verdict::kDegraded,
                                 Verdict::kLost};
  for (int lost = 0; lost <= 3; ++lost) {
    INFO(lost << " fragments lost");
    CHECK(f::verdict(none, lost) == expect_none[lost]);
    CHECK(f::verdict(rep3, lost) == expect_rep3[lost]);
    CHECK(f::verdict(ec82, lost) == expect_ec82[lost]);
  }
  CHECK(f::verdict(f::ProtectionShape{8, 3}, 3) == Verdict::kDegraded);
  CHECK(f::name(Verdict::kLost) == "lost");
}

TEST_CASE("rebuild traffic: replication 1x read, EC k x read, 1x write", "[failures]") {
  const double tb = 14e12;
  const f::Rebuild rep = f::rebuild_traffic({1, 2}, tb);
  CHECK(rep.read_bytes == tb);
  CHECK(rep.write_bytes == tb);
  const f::Rebuild ec = f::rebuild_traffic({8, 2}, tb);
  CHECK(ec.read_bytes == 8 * tb);
  CHECK(ec.write_bytes == tb);
  CHECK(ec.network_bytes() == 9 * tb);
  const f::Rebuild none = f::rebuild_traffic({1, 0}, tb);
  CHECK(none.read_bytes == 0);
  CHECK(none.write_bytes == 0);
}

TEST_CASE("a storage Protection as a ProtectionShape", "[failures]") {
  st::Protection p;
  CHECK(f::shape_of(p).data_fragments == 1);
  CHECK(f::shape_of(p).parity_or_extra_copies == 0);
  p.scheme = st::Scheme::kChain;
  p.replicas = 3;
  CHECK(f::shape_of(p).data_fragments == 1);
  CHECK(f::shape_of(p).parity_or_extra_copies == 2);
  p.scheme = st::Scheme::kQuorum;
  p.write_quorum = 2;
  CHECK(f::shape_of(p).parity_or_extra_copies == 1);  // only W copies are certain
  p.scheme = st::Scheme::kErasure;
  p.data = 8;
  p.parity = 3;
  CHECK(f::shape_of(p).data_fragments == 8);
  CHECK(f::shape_of(p).parity_or_extra_copies == 3);
  CHECK(f::shape_of(p).fragments() == p.targets());
}
